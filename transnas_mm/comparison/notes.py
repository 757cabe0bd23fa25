"""The report's notes: what the source is and how well it did, and per
target what the searches found against their own score noise. Built from
the search schema (:mod:`transnas_mm.search.outputs.summaries`), never
raw keys."""
import glob
import json
import math
import os.path as osp
from typing import Dict, List

from ..search.outputs.summaries import ArchSummary, WeightSources
from ..search.scoring.head_start import describe
from ..utils.atomic_io import read_json
from .head_choice import HEADS, fmt_metric
from .target import TargetResult


def _scalars(work: str) -> List[dict]:
    logs = sorted(glob.glob(osp.join(work, '*', 'vis_data', 'scalars.json')))
    return [json.loads(line) for log in logs for line in open(log)]


def _last_accuracy(work: str) -> str:
    """'reference R, largest L, smallest S' of a source run's last
    validation (its own val split, after BN recalibration)."""
    last = {}
    for rec in _scalars(work):
        if 'accuracy/top1' in rec:
            last = rec
    if not last:
        return 'n/a'
    return 'reference {:.1f}, largest {:.1f}, smallest {:.1f}'.format(
        last.get('accuracy/top1', float('nan')),
        last.get('largest/accuracy/top1', float('nan')),
        last.get('smallest/accuracy/top1', float('nan')))


def source_accuracy(work: str) -> str:
    """The source supernet's own held-out accuracy."""
    return ('source held-out top-1 (its own val split, after BN '
            f'recalibration): {_last_accuracy(work)}')


def seeded_note(out: str) -> str:
    """The super-network seeded from the static network against the one
    trained from scratch: source accuracy and compute."""
    secs = {k: read_json(osp.join(out, f'{k}.done'))['seconds']
            for k in ('source', 'static', 'seeded')}
    return (f'super-network seeded from the static network (half the '
            f'schedule): source top-1 '
            f'{_last_accuracy(osp.join(out, "supernet_from_static"))} in '
            f'{secs["seeded"]:.0f}s (+{secs["static"]:.0f}s of static '
            f'training), vs from scratch '
            f'{_last_accuracy(osp.join(out, "supernet_source"))} in '
            f'{secs["source"]:.0f}s')


def static_note(out: str) -> str:
    """The static network's source accuracy and the compute of both
    sources (same data, schedule and machine)."""
    secs = {k: read_json(osp.join(out, f'{k}.done'))['seconds']
            for k in ('source', 'static')}
    acc = [r['accuracy/top1'] for r in _scalars(
        osp.join(out, 'static_source')) if 'accuracy/top1' in r]
    return (f'static row source: the hand chain trained alone, same data '
            f'and schedule; its source held-out top-1 '
            f'{acc[-1] if acc else float("nan"):.1f}; source compute '
            f'{secs["static"]:.0f}s vs {secs["source"]:.0f}s for the '
            f'super-network')


def search_notes(name: str, summ: ArchSummary, s: WeightSources
                 ) -> List[str]:
    """One search seed's results against its own score noise."""
    held = (f'; held-out as scored (before the row finetune) '
            f'{s.heldout["nws"]:.4f} vs {s.heldout["plain"]:.4f}'
            if s.heldout and {'nws', 'plain'} <= set(s.heldout) else '')
    notes = [f'{name}: NWS vs plain inheritance on the search split '
             f'{s.search_split.nws:.4f} vs {s.search_split.plain:.4f}'
             + held]
    if summ.score_noise is not None:
        notes.append(
            f'{name}: architecture fitness noise (std over calibration '
            f'draws) {summ.score_noise:.4f}; best minus median candidate '
            f'{summ.best_minus_median:.4f}'
            + (f' ({summ.best_minus_median_over_noise:.1f}x the noise)'
               if summ.best_minus_median_over_noise else '')
            + f'; selected by {summ.selected_by}')
    if summ.head_start:
        notes.append(f'{name}: the searches\' proxy finetunes started from '
                     f'{describe(summ.head_start)}')
    if s.noise is not None:
        notes.append(
            f'{name}: NWS score noise {s.noise:.4f}, margin {s.margin:.4f}: '
            + ('kept plain inheritance (no change beat it beyond the '
               'margin)' if s.kept_plain else
               f'{s.changed_layers} layer(s) changed'))
    return notes


def target_notes(name: str, t: TargetResult) -> List[str]:
    """Each search seed's notes (labelled by seed where there are several),
    then the target's shared finetunes, head choices and rank study."""
    many = len(t.summary) > 1
    notes = [n for seed, (summ, s) in enumerate(zip(t.summary, t.nws))
             for n in search_notes(f'{name} (search seed {seed})' if many
                                   else name, summ, s)]
    if t.shared:
        notes.append(f'{name}: started from the same network (arch and '
                     f'weights) as an earlier row, so they share its '
                     f'finetune: ' + '; '.join(t.shared))
    if t.heads:
        notes.append(f'{name}: NAS + NWS finetuned from the adapted heads '
                     f'and from fresh ones, kept the better on the search '
                     f'split: ' + '; '.join(heads_note(c) for c in t.heads))
    if t.study:
        st = t.study
        notes.append(
            f'{name}: rank study over {st["archs"]} archs '
            f'({st["seeds"]} finetune seed(s)), Kendall tau vs held-out '
            f'after finetune (null std {st["null_std"]:.2f}): ' + ', '.join(
                f'{k} {v["tau"]:.2f} (top quarter '
                f'{v["top_quarter_tau"]:.2f})'
                for k, v in st['taus'].items())
            + ('' if math.isnan(st['seed_agreement']) else
               f'; the finetune seeds agree with each other at tau '
               f'{st["seed_agreement"]:.2f}'))
    return notes


def heads_note(choice: dict) -> str:
    """'seed 0 fresh (search split 0.41 vs adapted 0.07; held-out ...)'."""
    def fmt(split: str) -> str:
        return ' / '.join(fmt_metric(choice[split][h]) for h in HEADS)
    return (f'seed {choice["seed"]} kept {choice["picked"]} (adapted / '
            f'fresh: search split {fmt("search_split")}; held-out, '
            f'reported only, {fmt("heldout")})')


def report_notes(targets: Dict[str, TargetResult]) -> List[str]:
    return [n for name, t in targets.items() for n in target_notes(name, t)]
