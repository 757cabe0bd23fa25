"""Which heads the arch search's proxy finetunes start from: the heads the
adaptation left, or fresh ones on the adapted backbone (``head_start``).

Why: an adaptation can leave a detector's heads on a plateau (Faster
R-CNN, palette source, seed 0: 0.055 mAP on the search split after
adaptation, 0.3-0.4 at other seeds). Every candidate's proxy finetune then
starts on that plateau, so the fitness ranks archs by how they leave it,
not by how they finetune (that seed: NAS + plain 0.359 held-out vs a random
arch's 0.493). ``'auto'`` proxy-finetunes the reference arch from both
starts and keeps the better on the search split (ties: the adapted heads),
as the NAS + NWS row does with its full finetune. The fresh heads are the
model's own ``init_weights`` (what a finetune from a backbone-only
checkpoint starts from), drawn with the search seed, so a resume or
another rank builds the same ones."""
import os.path as osp
import time
from typing import Any, Callable, Dict, Optional, Tuple

import torch.nn as nn
from mmengine.dist import broadcast_object_list, is_main_process

from mmengine.logging import print_log

from ...space import SearchSpace, reference_arch
from ...utils.atomic_io import atomic_write_json, read_json
from ..core.candidate import WORST, Candidate
from ..job import WeightSnapshot
from ..outputs.names import HEAD_START
from .calibrate import seeded, unwrap

HEADS = ('adapted', 'fresh')  # the two starts, the default first
# a model's children that are not "the heads": the searched backbone and
# the input normalisation
NOT_HEADS = ('backbone', 'data_preprocessor')


def fresh_heads(model: nn.Module, seed: int) -> None:
    """Re-draw every part of ``model`` but its backbone (neck and heads)
    as a newly built model would be: PyTorch's default init, then the
    part's ``init_weights`` (its ``init_cfg``), under ``seed``."""
    model = unwrap(model)
    with seeded(seed):
        for name, part in model.named_children():
            if name in NOT_HEADS:
                continue
            for m in part.modules():
                if hasattr(m, 'reset_parameters'):
                    m.reset_parameters()
                if hasattr(m, '_is_init'):
                    m._is_init = False
            if hasattr(part, 'init_weights'):
                part.init_weights()


def pick_heads(search_split: Dict[str, Optional[float]]) -> str:
    """'fresh' only if it beats the adapted heads on the search split
    (higher is better; None: that start failed). The rule of both head
    choices: the arch search's start and the NAS + NWS row's finetune."""
    adapted, fresh = (search_split.get(h) for h in HEADS)
    if fresh is not None and (adapted is None or fresh > adapted):
        return 'fresh'
    return 'adapted'


def choose_head_start(score: Callable[[str], Candidate], out: str,
                      valid_for: dict) -> dict:
    """``score(start)`` proxy-finetunes and scores the reference arch from
    ``start`` ('adapted' or 'fresh'). Rank 0's choice is written to
    ``out/head_start.json`` (with what it is valid for, so a resume on the
    same adaptation reads it back instead of paying again) and broadcast;
    every rank scores (the evaluation is distributed)."""
    path = osp.join(out, HEAD_START)
    doc = [None]
    if is_main_process() and osp.isfile(path):
        saved = read_json(path)
        if saved.get('valid_for') == valid_for:
            doc[0] = saved
    broadcast_object_list(doc, src=0)
    if doc[0] is not None:
        return doc[0]
    t0 = time.perf_counter()
    scored = {start: score(start) for start in HEADS}
    search_split = {k: (None if c.score == WORST else c.score)
                    for k, c in scored.items()}
    choice = dict(
        picked=pick_heads(search_split), search_split=search_split,
        reasons={k: c.reason for k, c in scored.items() if c.reason},
        seconds=time.perf_counter() - t0, valid_for=valid_for,
        candidates={k: c.to_dict() for k, c in scored.items()})
    if is_main_process():
        atomic_write_json(path, choice)
    return choice


def chosen_reference(choice: Optional[dict], space: SearchSpace
                     ) -> Optional[Candidate]:
    """The reference arch as the choice scored it from the start it picked
    (None: nothing scored, or a choice saved before this was kept)."""
    choice = choice or {}
    saved = choice.get('candidates', {}).get(choice.get('picked'))
    return None if saved is None else Candidate.from_dict(saved, space)


class Prescored:
    """The search loop's scorer, except that the reference arch takes the
    score the head choice already gave it: the same start, proxy batches,
    seeds and split, so the same number (checked to the last digit on
    Faster R-CNN), and the search does not pay that proxy twice."""

    FIELDS = ('score', 'metrics', 'seconds', 'status', 'reason', 'images')

    def __init__(self, scorer: Any, known: Candidate):
        self.inner, self.known = scorer, known  # inner: what scores

    def score(self, cand: Candidate, before_eval: Optional[Callable] = None
              ) -> Candidate:
        if self.known is not None and cand.key == self.known.key:
            for name in self.FIELDS:
                setattr(cand, name, getattr(self.known, name))
            self.known = None  # once: a later copy is scored as usual
            return cand
        return self.inner.score(cand, before_eval)


def describe(choice: Optional[dict]) -> str:
    """One line for the log and the report."""
    if not choice:
        return 'the adapted heads'
    s = choice.get('search_split')
    if not s:  # head_start='fresh': nothing scored
        return f'the {choice["picked"]} heads'
    fmt = (lambda v: 'failed' if v is None else f'{v:.4f}')
    return (f'the {choice["picked"]} heads (reference arch after the proxy: '
            f'adapted {fmt(s["adapted"])}, fresh {fmt(s["fresh"])})')


def start_heads(job: Any, ctx: Any, snapshot: Any, out: str,
                valid_for: dict) -> Tuple[dict, Any]:
    """The weights every candidate of ``job`` (an ``ArchSearchJob``)
    starts from: ``snapshot`` (the adapted heads) or the adapted backbone
    with fresh heads, as ``job.head_start`` says ('auto': the reference
    arch proxy-finetuned from both, the better on the search split).
    Returns (the choice, the snapshot to restore before each candidate)."""
    model, supernet, seed = ctx.model, ctx.supernet, job.scoring.seed
    heads = dict(picked='fresh', search_split=None)
    if job.head_start == 'auto':
        reference = reference_arch(supernet.space)
        build = job.scorers(ctx)
        adapted = build.restart_path(snapshot)
        scorer = build.scorer(adapted, racing=False)
        proxy = build.proxy_finetune()

        def score(start: str) -> Candidate:
            def restart(cand: Candidate) -> None:
                adapted(cand)
                if start == 'fresh':
                    fresh_heads(model, seed)
            scorer.prepare = restart
            return scorer.score(Candidate(reference, 0, 0, -1), proxy)

        heads = choose_head_start(score, out, valid_for)
        print_log(f'{job.owner}: proxy finetunes start from '
                  f'{describe(heads)}', logger='current')
    snapshot.restore()
    if heads['picked'] == 'adapted':
        return heads, snapshot
    fresh_heads(model, seed)
    return heads, WeightSnapshot(model)
