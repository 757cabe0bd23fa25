"""What both search jobs share: the context they run on (a runner's parts,
or a script's), scoring, the fixed batch draws, one weight snapshot and
proxy-finetune helper with one seed scheme, and what a saved state is
valid for. Works without a runner."""
import copy
import math
import os
import os.path as osp
from dataclasses import dataclass
from typing import Any, Callable, Optional, Tuple

import torch.nn as nn
from mmengine.dist import is_main_process

from ..utils.atomic_io import remove_stale_temps
from .core.identity import dataset_digest, source_digest
from .scoring.build import ScorerFactory
from .scoring.calibrate import unwrap
from .scoring.fitness import check_finite
from .settings import Proxy, Scoring

class BelowFloor(RuntimeError):
    """The best candidate is below the floor (see ``check_floor``): the
    jobs put the model's weights back before it leaves them."""


@dataclass
class SearchContext:
    """What a search runs on. ``heldout``: a callable returning the test
    (dataloader, evaluator), or None (built only when asked for)."""
    model: nn.Module
    train_loader: Any
    val_loader: Any
    val_evaluator: Any
    work_dir: str
    heldout: Optional[Callable[[], Tuple[Any, Any]]] = None
    cfg: Any = None  # the run's config: finetune.py is written from it

    @classmethod
    def from_runner(cls, runner) -> 'SearchContext':
        heldout = None
        if getattr(runner, '_test_loop', None) is not None:
            def heldout():
                return (runner.test_loop.dataloader,
                        runner.test_loop.evaluator)
        return cls(runner.model, runner.train_dataloader,
                   runner.val_loop.dataloader, runner.val_loop.evaluator,
                   runner.work_dir, heldout, runner.cfg)

    @property
    def supernet(self):
        from ..models import find_supernet
        return find_supernet(self.model)


class WeightSnapshot:
    """The model's weights at one moment, put back before each candidate
    and once the search is done."""

    def __init__(self, model: nn.Module):
        self.model = unwrap(model)
        self.state = copy.deepcopy(self.model.state_dict())

    def restore(self) -> None:
        self.model.load_state_dict(self.state)


class SearchJob:
    """Base of :class:`ArchSearchJob` and :class:`WeightSearchJob`.
    ``owner`` names the job (or the hook that runs it) in messages."""

    def __init__(self, scoring: Scoring, proxy: Optional[Proxy],
                 out_dir: str = 'search', owner: Optional[str] = None):
        self.scoring = scoring
        self.proxy = proxy
        self.out_dir = out_dir
        self.owner = owner or type(self).__name__

    def check_data(self, train_loader) -> None:
        """Calibration on fewer batches than asked would be recorded as the
        asked-for number: refuse it, naming what the data holds."""
        size = len(train_loader.dataset)
        batch = train_loader.batch_size or getattr(
            train_loader.batch_sampler, 'batch_size', 1)
        available = math.ceil(size / batch)
        asked = self.scoring.calibrate_batches
        if asked > available:
            raise ValueError(
                f'{self.owner}: calibrate_batches: {asked} asked, but the '
                f'training split ({size} samples, batch size {batch}) holds '
                f'{available}; expected at most {available}')

    def start(self, ctx: SearchContext) -> str:
        """The output folder, cleaned of temp files a kill left; refuses a
        model that already diverged."""
        out = osp.join(ctx.work_dir, self.out_dir)
        if is_main_process():
            remove_stale_temps(out)
        check_finite(unwrap(ctx.model), self.owner)
        ctx.supernet.release_reference()  # proxies train every op
        return out

    def scorers(self, ctx: SearchContext) -> ScorerFactory:
        """What this job's scoring settings score with on ``ctx``."""
        return ScorerFactory(self.scoring, self.proxy, ctx)

    def valid_for(self, ctx: SearchContext, supernet, **more) -> dict:
        """What a saved state is only valid for: a resume with another
        value is refused, naming it."""
        s, val = self.scoring, ctx.val_loader.dataset
        return dict(supernet=supernet.digest(),
                    source=source_digest(supernet),
                    search_data=dataset_digest(val),
                    metric_key=s.metric_key,
                    rule=s.rule, input_shape=list(s.input_shape),
                    calibrate_batches=s.calibrate_batches,
                    val_size=len(val), **more, **s.race.state())

    def check_floor(self, search, log: str, state_path: str) -> None:
        """Stop when the best candidate so far is below the floor: the
        adapted model did not learn the target, and whatever the search
        picked from it would be exported as if it had. Nothing is exported
        and the state is removed (a rerun on a fixed adaptation starts
        afresh)."""
        s, best = self.scoring, search.best
        if s.floor is None or best is None:  # none scored: all_failed's job
            return
        value = best.metrics.get(s.metric_key)
        if not s.below_floor(value):
            return
        if is_main_process() and osp.isfile(state_path):
            os.remove(state_path)
        side = 'below' if s.rule == 'greater' else 'above'
        raise BelowFloor(
            f'{self.owner}: floor: the best of {len(search.history)} '
            f'candidates scores {s.metric_key}={value} on the search split, '
            f'{side} floor={s.floor}: the adapted model did not learn the '
            f'target (a collapsed adaptation: its training loss stays '
            f'flat); nothing exported. Fix the adaptation (a longer warm-up '
            f'or a lower lr) and rerun, or set floor=None to search anyway; '
            f'see {log}')

    def all_failed(self, search, log: str, state_path: str,
                   lost: str) -> RuntimeError:
        """The error when no candidate could be scored: the first reason,
        where the log is, how to start over."""
        first = next(iter(search.history.values()), None)
        return RuntimeError(
            f'{self.owner}: every candidate failed (first: '
            f'{first.reason if first else "none evaluated"}); {lost}. See '
            f'{log}; fix the cause and rerun ({state_path} then starts '
            f'again: a state without one scored candidate is not resumed)')
