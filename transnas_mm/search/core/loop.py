"""Drive a :class:`~.base.Search` (architecture or weights) generation by
generation: draw on rank 0, broadcast, score (each rank its share of the
candidates, or every rank each one: :mod:`..scoring.spread`), save the
state after each generation."""
import json
import math
import os.path as osp
import statistics
from typing import Any, Callable, Dict, List, Optional

from mmengine.dist import broadcast_object_list, is_main_process
from mmengine.logging import print_log
from mmengine.utils import ProgressBar

from ...utils.atomic_io import atomic_write_json
from ..scoring.fitness import SubnetScorer
from ..scoring.spread import score_each
from .base import Search
from .candidate import WORST

# What a changed digest in a saved state's ``extra`` means.
CHANGED = dict(
    search_data=' (the search split\'s images or labels changed since)',
    source=' (the source checkpoint of init_cfg changed since)',
    supernet=' (the super-network\'s weights differ)',
    head_start=" (head_start=None means 'auto'; head_start='adapted' "
               "resumes a search saved without the choice)")
# The value of an ``extra`` key in a state saved before it was recorded.
ABSENT = dict(proxy_share=0, head_start='adapted')


def load_state(search: Search, path: str,
               extra: Dict[str, Any]) -> bool:
    """Restore ``search`` from ``path`` if present. ``extra`` is what the
    state is valid for (supernet digest, objective: metric key, rule, input
    shape, calibration, val set size, racing); a resume with another value
    is refused, naming what changed; a state whose candidates all failed is
    not resumed (started again). Returns whether it resumed."""
    if not osp.isfile(path):
        return False
    try:
        with open(path) as f:
            state = json.load(f)
    except json.JSONDecodeError as e:
        raise ValueError(f'{path}: malformed JSON ({e}); expected a search '
                         f'state written by transnas_mm: delete it to '
                         f'search again') from None
    if not isinstance(state, dict):
        raise ValueError(f'{path}: expected a JSON object (search state), '
                         f'got {type(state).__name__}')
    history = state.get('history')
    if isinstance(history, list) and history and all(
            isinstance(d, dict) and d.get('status') == 'failed'
            for d in history):
        # nothing in it is worth keeping, and its cause may be fixed now
        print_log(f'{path}: every saved candidate failed '
                  f'({history[0].get("reason")}); starting the search '
                  f'again', logger='current', level=30)
        return False
    saved = state.get('extra', {})
    for key, value in extra.items():
        was = saved.get(key, ABSENT.get(key))
        if was != value:
            raise ValueError(
                f'{path}: extra.{key}: the saved search used '
                f'{was!r}, this run {value!r}'
                f'{CHANGED.get(key, "")}; resume with the same settings, or '
                f'delete {path} (and its logs) to search again')
    search.load_state_dict(state, source=path)
    return True


def _bars(search, done, k: int, stages: int) -> List[Optional[float]]:
    """Per racing stage, the k-th best score on that stage's images among
    the candidates scored on the whole split so far (history + this
    generation): the bar a candidate must reach there to go on. None for a
    stage while fewer than k such scores are known."""
    full = [c for c in list(search.history.values()) + done
            if c.status == 'ok' and c.score > WORST and c.stage_scores]
    bars: List[Optional[float]] = []
    for i in range(stages):
        scores = sorted((c.stage_scores[i] for c in full
                         if len(c.stage_scores) > i
                         and not math.isnan(c.stage_scores[i])),
                        reverse=True)
        bars.append(scores[k - 1] if len(scores) >= k else None)
    return bars


def _score(scorer, cand, before_eval, search, done, race_k) -> None:
    """One candidate, raced against the scores ``done`` so far if the
    scorer races."""
    racing = getattr(scorer, 'racing', None)
    if racing is not None:
        scorer.score(cand, before_eval, bars=_bars(
            search, done, race_k or search.cfg.top_k, racing.checkpoints))
    else:  # any object with score(cand, before_eval) will do
        scorer.score(cand, before_eval)
    if cand.status == 'failed':
        print_log(f'candidate failed, scored worst: {cand.reason}',
                  logger='current')


def run_search(search: Search, scorer: SubnetScorer, state_path: str,
               extra_state: Optional[Dict[str, Any]] = None,
               on_generation: Optional[Callable[[Search], None]] = None,
               before_eval: Optional[Callable] = None,
               progress: bool = True,
               race_k: Optional[int] = None,
               after_scoring: Optional[Callable[[List], None]] = None,
               runs: Optional[Any] = None) -> Search:
    """Run the remaining generations of ``search`` (resumable). With racing
    on the scorer, a candidate stops once it cannot reach the ``race_k``-th
    best score so far on the same images (default: the search's
    ``top_k``). ``after_scoring(cands)``: once a generation is scored,
    before it is recorded (a proxy ladder promotes its best there).
    ``runs`` (a :class:`~.shared_proxy.SharedProxy`): a generation is
    scored in its ``plan``'s slices, each ``train``-ed before its
    candidates are scored and told it was ``scored`` after."""
    extra_state = extra_state or {}
    while not search.done:
        proposals = [search.propose() if is_main_process() else None]
        broadcast_object_list(proposals, src=0)
        cands = [search.candidate(a) for a in proposals[0]]
        bar = ProgressBar(len(cands)) if progress and is_main_process() \
            else None
        done = []

        def one(cand) -> None:
            _score(scorer, cand, before_eval, search, done, race_k)
            done.append(cand)
            if bar is not None:
                bar.update()
        if runs is None:
            score_each(scorer, cands, one)
            if bar is not None and bar.completed < len(cands):
                bar.update(len(cands) - bar.completed)  # other ranks'
        for part in runs.plan(cands) if runs is not None else []:
            runs.train(part)
            for cand in part:
                one(cand)
            runs.scored(part)
        if after_scoring is not None:
            after_scoring(cands)
        search.finish_generation(cands)
        if is_main_process():
            state = search.state_dict()
            state['extra'] = extra_state
            atomic_write_json(state_path, state)
        scores = [c.score for c in cands if c.score > WORST]
        best = search.best
        print_log(
            f'search generation {search.generation}/{search.cfg.generations}'
            f': {len(cands)} candidates ({len(cands) - len(scores)} failed), '
            f'median {statistics.median(scores) if scores else float("nan"):.4f}'
            f', best so far {best.score if best else float("nan"):.4f}',
            logger='current')
        if on_generation is not None:
            on_generation(search)
    return search
