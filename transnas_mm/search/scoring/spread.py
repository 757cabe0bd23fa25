"""A generation's candidates spread over the ranks: with N ranks, each
scores its own share (its proxy finetune, BN calibration and the whole
search split, on its device alone) and the results are gathered, instead
of every rank scoring every candidate together.

Why: a proxy step cannot be split over ranks without changing what it
computes (each rank would train on other batches), so scored together all
N ranks repeat it, and the search's wall time does not fall with N while
the adaptation's does (docs/results/cost.md). Spread, each candidate is
computed exactly as on one rank (the same batches in the same order, no
collective inside), so the result is the same on 1 or N ranks.

Not with racing (a candidate's bar is the scores before it in the same
generation) or a shared proxy (one run trains several candidates): those
score together, as before."""
from contextlib import contextmanager
from typing import Callable, Dict, Iterator, List, Optional, Sequence

import torch.distributed as torch_dist
import torch.nn as nn
from mmengine.dist import all_gather_object, get_dist_info
from mmengine.logging import print_log

from ..core.candidate import Candidate
from .calibrate import unwrap

# What scoring a candidate sets, sent from the rank that scored it.
RESULTS = ('score', 'metrics', 'seconds', 'status', 'reason', 'images',
           'stage_scores', 'rung_scores')
_ALONE: Dict[int, List] = {}  # world size -> one single-rank group per rank


def spreads(scorer) -> bool:
    """Whether ``scorer``'s candidates are spread: several ranks, a scorer
    that can score on one rank alone, no racing."""
    base = getattr(scorer, 'inner', scorer)  # a wrapper's (Prescored)
    return get_dist_info()[1] > 1 and hasattr(base, 'alone') and \
        getattr(base, 'racing', None) is None


def _alone_groups(world: int) -> List:
    """A process group of each rank alone (created by every rank once, in
    the same order, as ``new_group`` requires)."""
    if world not in _ALONE:
        _ALONE[world] = [torch_dist.new_group([r]) for r in range(world)]
    return _ALONE[world]


@contextmanager
def alone(scorer) -> Iterator[None]:
    """``scorer`` on this rank alone: no collective in its calibration or
    evaluation, and each SyncBN normalising over this rank's batch (as on
    one rank)."""
    rank, world = get_dist_info()
    syncbns = [m for m in unwrap(scorer.model).modules()
               if isinstance(m, nn.SyncBatchNorm)]
    groups = _alone_groups(world) if syncbns else []
    saved = [m.process_group for m in syncbns]
    for m in syncbns:
        m.process_group = groups[rank]
    scorer.alone = True
    try:
        yield
    finally:
        scorer.alone = False
        for m, group in zip(syncbns, saved):
            m.process_group = group


def score_each(scorer, cands: Sequence[Candidate],
               score_one: Callable[[Candidate], None]) -> None:
    """``score_one`` every candidate: spread over the ranks where
    :func:`spreads`, else one after the other on every rank. An error a
    rank meets (a metric key the evaluator lacks) is raised on all."""
    if not spreads(scorer):
        for cand in cands:
            score_one(cand)
        return
    rank, world = get_dist_info()
    print_log(f'scoring {len(cands)} candidates spread over {world} ranks',
              logger='current')
    base = getattr(scorer, 'inner', scorer)
    before = [(c.images, c.seconds) for c in cands]
    error: Optional[BaseException] = None
    with alone(base):
        for cand in cands[rank::world]:
            try:
                score_one(cand)
            except Exception as e:  # noqa: BLE001  raised on every rank
                error = e
                break
    sent = all_gather_object(
        ([{k: getattr(c, k) for k in RESULTS} for c in cands[rank::world]],
         error))
    errors = [e for _, e in sent if e is not None]
    if errors:
        raise error if error is not None else errors[0]
    for r, (results, _) in enumerate(sent):
        if r == rank:
            continue
        for i, fields in zip(range(r, len(cands), world), results):
            for key, value in fields.items():
                setattr(cands[i], key, value)
            # what the other rank's scorer counted, as one rank would
            base.images += cands[i].images - before[i][0]
            base.timing['total'] += cands[i].seconds - before[i][1]
