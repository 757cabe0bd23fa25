"""Does the search's ranking predict the final one? Architectures the
search scored, spread over its score ranks, each finetuned with the row
budget and tested on the held-out split; Kendall tau of each ranking a user
could pick by (the search fitness, FLOPs, params) against the held-out
result, with the tau's null std so a reader can tell signal from luck."""
import json
import math
import os
import os.path as osp
import shutil
import statistics
from typing import Dict, List, Optional, Sequence

import numpy as np

from ..search.core.candidate import WORST, Candidate
from ..search.outputs.names import ARCH_FILE, ARCH_LOG, SUBNET_MODEL
from ..search.settings import DEFAULT_PROXY
from ..space import (SearchSpace, arch_key, load_arch, sample_arch, save_arch,
                     space_of)
from ..utils.atomic_io import atomic_write_json, read_json
from .row_finetune import finetune_and_test
from .steps import Steps


def null_std(n: int) -> float:
    """Std of Kendall tau between two independent rankings of ``n``."""
    return math.sqrt(2 * (2 * n + 5) / (9 * n * (n - 1))) if n > 1 \
        else math.nan


def kendall(x: Sequence[float], y: Sequence[float]) -> float:
    from scipy.stats import kendalltau
    if len(x) < 2:
        return math.nan
    return float(kendalltau(x, y).statistic)


def spread(cands: List[Candidate], n: int,
           space: Optional[SearchSpace] = None,
           seed: int = 0) -> List[Candidate]:
    """``n`` distinct archs evenly spread over the score ranks. A search
    that scored fewer (a detector's 16 candidates) is topped up, when
    ``space`` is given, with archs drawn from the space as the source
    training draws them (seeded); those have no search score (NaN), so the
    search fitness is ranked over the logged ones only."""
    seen, unique = set(), []
    for c in sorted((c for c in cands if c.score > WORST),
                    key=lambda c: c.score):
        if c.key not in seen:
            seen.add(c.key)
            unique.append(c)
    if len(unique) >= n:
        return [unique[round(i * (len(unique) - 1) / max(1, n - 1))]
                for i in range(n)]
    if space is not None:
        rng = np.random.default_rng(seed)
        for _ in range(1000 * n):  # a tiny space may hold fewer than n
            cand = Candidate(sample_arch(space, rng), 0, 0, -1,
                             score=math.nan)
            if cand.key not in seen:
                seen.add(cand.key)
                unique.append(cand)
                if len(unique) == n:
                    break
    return unique


def taus(points: List[dict], signals: Sequence[str]) -> Dict[str, dict]:
    """Per ranking signal: tau over all points and within the top quarter
    by held-out result (the archs a user would pick among), and what
    picking by it gives: the held-out result of its best point and the mean
    of its best three."""
    def one(signal: str) -> dict:
        # a point without the signal (a top-up arch has no search score)
        # does not count for it
        have = [p for p in points if p[signal] is not None
                and math.isfinite(p[signal])]
        if not have:
            return dict(tau=math.nan, top_quarter_tau=math.nan,
                        pick=math.nan, top3=math.nan, points=0)
        top = sorted(have, key=lambda p: p['heldout'], reverse=True)[
            :max(2, len(have) // 4)]
        picks = [p['heldout'] for p in sorted(
            have, key=lambda p: -p[signal])[:3]]
        return dict(
            tau=kendall([p[signal] for p in have],
                        [p['heldout'] for p in have]),
            top_quarter_tau=kendall([p[signal] for p in top],
                                    [p['heldout'] for p in top]),
            pick=picks[0], top3=statistics.mean(picks), points=len(have))

    return {signal: one(signal) for signal in signals}


def _seeds(points: List[dict]) -> int:
    return len(points[0]['heldout_seeds']) if points else 0


def seed_agreement(points: List[dict]) -> float:
    """Kendall tau between the mean result of the first half of the
    finetune seeds and of the second half, over the archs: how well the
    target itself ranks the archs twice. No signal can be expected to
    agree with the held-out result much better than this."""
    seeds = _seeds(points)
    if seeds < 2:
        return math.nan
    half = seeds // 2
    return kendall([statistics.mean(p['heldout_seeds'][:half])
                    for p in points],
                   [statistics.mean(p['heldout_seeds'][half:])
                    for p in points])


def tau_ceiling(points: List[dict]) -> float:
    """About the tau a perfect predictor of each arch's expected result
    would reach against the mean over the study's seeds, given how well
    single seeds agree (their mean pairwise tau, turned into a Pearson r by
    Greiner's relation, raised to the seed mean's reliability by
    Spearman-Brown, and back to a tau). Assumes normal noise: a guide to
    what the study can show, not a bound."""
    seeds = _seeds(points)
    if seeds < 2:
        return math.nan
    pair = statistics.mean(
        kendall([p['heldout_seeds'][i] for p in points],
                [p['heldout_seeds'][j] for p in points])
        for i in range(seeds) for j in range(i + 1, seeds))
    r1 = math.sin(math.pi / 2 * pair)
    if r1 <= 0:
        return 0.0
    reliability = seeds * r1 / (1 + (seeds - 1) * r1)
    return 2 / math.pi * math.asin(math.sqrt(reliability))


def study_taus(points: List[dict], signals: Sequence[str]) -> dict:
    """The taus against the mean of all seeds, against the first two
    seeds' mean (what a 2-seed study sees) when there are more, the seeds'
    agreement with each other and the tau a perfect predictor would
    reach."""
    out = dict(taus=taus(points, signals),
               seed_agreement=seed_agreement(points),
               tau_ceiling=tau_ceiling(points))
    if _seeds(points) > 2:
        two = [dict(p, heldout_seeds=p['heldout_seeds'][:2],
                    heldout=statistics.mean(p['heldout_seeds'][:2]))
               for p in points]
        out['taus_2_seeds'] = taus(two, signals)
        out['seed_agreement_2_seeds'] = seed_agreement(two)
        out['tau_ceiling_2_seeds'] = tau_ceiling(two)
    return out


def arch_folder(rdir: str, arch) -> str:
    """``rdir`` holding ``arch`` (its ``candidate.json``, returned). A
    folder left by another arch at this rank (the search ran again) is
    emptied first: its finetunes are that arch's, not this one's."""
    arch_file = osp.join(rdir, 'candidate.json')
    if osp.isfile(arch_file) and \
            arch_key(load_arch(arch_file)) != arch_key(arch):
        shutil.rmtree(rdir)
    os.makedirs(rdir, exist_ok=True)
    save_arch(arch, arch_file)
    return arch_file


def _measured(path: str, asked: dict) -> Optional[List[dict]]:
    """The per-arch signals the file holds if they were measured for
    exactly ``asked`` (archs, proxy lengths, lr, schedules, source), else
    None: a study asked for anything else measures again."""
    if not osp.isfile(path):
        return None
    saved = read_json(path)
    if not isinstance(saved, dict) or saved.get('asked') != asked:
        return None
    return saved['rows']


def rank_study(steps: Steps, spec, base: str, found: str, adapted: str,
               finetune_cfg: str, n: int, fast: bool, seeds: int = 1,
               proxy_iters: Sequence[int] = (),
               proxy_lr: float = DEFAULT_PROXY['lr'],
               source: Optional[Dict[str, str]] = None,
               schedules: Sequence[str] = (DEFAULT_PROXY['schedule'], ),
               shared_group: int = 0) -> dict:
    """``n`` archs of the search log, exported with plain inheritance,
    finetuned over ``seeds`` seeds; every held-out-free signal of
    :mod:`.fitness_signals` (``proxy_iters``: the proxy rungs; ``source``:
    the source run, for the source-accuracy signal) beside the search's
    own fitness (``schedules``: the proxies' lr schedules;
    ``shared_group``: also each proxy shared by groups of that many archs,
    as a search's generations share it with ``proxy=dict(share=G)``).
    Writes
    ``rank_study.json`` (points and taus) and its plot."""
    space = space_of(load_arch(osp.join(found, ARCH_FILE)))
    logged = [Candidate.from_dict(json.loads(line), space)
              for line in open(osp.join(found, ARCH_LOG))]
    picked = spread(logged, n, space)
    study = osp.join(base, 'rank_study')
    os.makedirs(study, exist_ok=True)
    signals_file = osp.join(study, 'signals.json')
    asked = dict(archs=[c.key for c in picked], proxy_iters=list(proxy_iters),
                 proxy_lr=proxy_lr, schedules=list(schedules),
                 source=source)
    if shared_group:  # (absent otherwise: earlier studies stay valid)
        asked['shared_group'] = shared_group
    signals = _measured(signals_file, asked)
    if signals is None:
        def measure() -> None:
            from .fitness_signals import all_signals
            atomic_write_json(signals_file, dict(asked=asked, rows=all_signals(
                spec.config, adapted, [c.arch for c in picked], proxy_iters,
                proxy_lr, osp.join(study, 'signals'), source, schedules,
                shared_group)))
        steps.forked(measure, signals_file + '.log')
        signals = _measured(signals_file, asked)
    points = [_finetuned_point(steps, spec, study, k, cand, measured, adapted,
                               finetune_cfg, seeds, fast)
              for k, (cand, measured) in enumerate(zip(picked, signals))]
    names = ['fitness'] + list(signals[0]) if signals else ['fitness']
    result = dict(metric_key=spec.metric, archs=len(points), seeds=seeds,
                  logged=sum(p['logged'] for p in points),
                  null_std=null_std(len(points)),
                  **study_taus(points, names), points=points)
    result['kendall_tau'] = result['taus']['fitness']['tau']
    atomic_write_json(osp.join(base, 'rank_study.json'), result)
    plot_rank_study(osp.join(base, 'rank_study.png'), result)
    return result


def _finetuned_point(steps: Steps, spec, study: str, k: int,
                     cand: Candidate, measured: dict, adapted: str,
                     finetune_cfg: str, seeds: int, fast: bool) -> dict:
    """Arch ``k`` exported with plain inheritance and finetuned over
    ``seeds`` seeds: its held-out results beside its signals."""
    rdir = osp.join(study, f'arch{k:02d}')
    arch_file = arch_folder(rdir, cand.arch)
    steps.once(osp.join(rdir, 'net.done'), f'{spec.key}/rank{k}: network',
               steps.script('tools/baseline_subnet.py', spec.config,
                            adapted, osp.join(rdir, 'net'), '--kind',
                            'searched', '--arch', arch_file),
               osp.join(rdir, 'net.log'))
    held = [finetune_and_test(
        steps, f'{spec.key}/rank{k}/seed{seed}', spec,
        rdir if seed == 0 else osp.join(rdir, f'seed{seed}'),
        finetune_cfg, osp.join(rdir, 'net', ARCH_FILE),
        osp.join(rdir, 'net', SUBNET_MODEL), seed, fast)[0]
        for seed in range(seeds)]
    scored = math.isfinite(cand.score)  # not a top-up arch
    return dict(fitness=cand.score if scored else None, **measured,
                heldout_seeds=held, heldout=statistics.mean(held),
                logged=scored)


def plot_rank_study(path: str, result: dict) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from ..search import save_figure
    fig, ax = plt.subplots(figsize=(5, 4))
    logged = [p for p in result['points'] if p['fitness'] is not None]
    ax.scatter([p['fitness'] for p in logged],
               [p['heldout'] for p in logged])
    ax.set_xlabel('search fitness (search split, before finetune)')
    ax.set_ylabel(f'held-out {result["metric_key"]} after finetune')
    ax.set_title(f'Kendall tau = {result["kendall_tau"]:.2f} (null std '
                 f'{null_std(len(logged)):.2f}, n = {len(logged)})')
    save_figure(fig, path)
    plt.close(fig)
