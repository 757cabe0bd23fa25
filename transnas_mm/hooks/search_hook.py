"""What both search hooks share: the objective and its checks, the scorer,
calibration batches and what a saved search state is valid for."""
import math
import os.path as osp
from typing import Callable, List, Optional, Sequence

from mmengine.dist import is_main_process
from mmengine.hooks import Hook

from ..engine import find_supernet
from ..search import SubnetScorer, calibration_batches, check_finite, unwrap
from ..search.batch_cache import DEFAULT_CACHE_MB
from ..search.identity import dataset_digest, source_digest
from ..search.racing import Racing, race_settings
from ..utils.atomic_io import remove_stale_temps


class SearchHook(Hook):
    """Base of ``ArchSearchHook`` and ``WeightSearchHook``: arguments common
    to both, checked when the hook is built (before any training).

    Args:
        metric_key: the val evaluator's key, e.g. ``'coco/bbox_mAP'``.
        rule: ``'greater'`` or ``'less'`` is better.
        input_shape: ``(3, H, W)`` at which FLOPs are counted.
        calibrate_batches: fixed training batches for BN recalibration.
        noise_repeats: extra calibration draws that measure score noise.
        racing, race_fractions, race_margin: score candidates on growing
            subsets of the search split and stop one that cannot reach the
            top (see :class:`~transnas_mm.search.racing.Racing`).
        race_top: the rank a candidate must be able to reach to go on
            (None: the arch search's ``top_k``, the weight search's best;
            1: race everything against the best so far, the cheapest; the
            parents of the next generation then include partial scores).
        seed: calibration/search seed.
        cache_mb: keep the calibration and search-split batches in memory
            after the first candidate while each loader's fit in this many
            MiB (decoded once, not per candidate; scores unchanged); 0: off.
        out_dir: folder under ``work_dir``.
    """

    priority = 'LOW'

    def __init__(self, metric_key: str, rule: str = 'greater',
                 input_shape: Sequence[int] = (3, 224, 224),
                 calibrate_batches: int = 8, noise_repeats: int = 2,
                 racing: bool = False,
                 race_fractions: Sequence[float] = (0.25, 0.5),
                 race_margin: float = 0.0,
                 race_top: Optional[int] = None, seed: int = 0,
                 cache_mb: float = DEFAULT_CACHE_MB,
                 out_dir: str = 'search'):
        name = type(self).__name__
        self.race = race_settings(name, racing, race_fractions, race_margin,
                                  race_top)
        if rule not in ('greater', 'less'):
            raise ValueError(f"{name}: rule: expected 'greater' or 'less', "
                             f'got {rule!r}')
        if len(tuple(input_shape)) != 3 or tuple(input_shape)[0] != 3:
            raise ValueError(f'{name}: input_shape: expected (3, H, W), got '
                             f'{tuple(input_shape)}')
        for arg, value in (('calibrate_batches', calibrate_batches),
                           ('noise_repeats', noise_repeats),
                           ('cache_mb', cache_mb)):
            if value < 0:
                raise ValueError(f'{name}: {arg}: expected >= 0, got '
                                 f'{value}')
        self.metric_key = metric_key
        self.rule = rule
        self.input_shape = tuple(input_shape)
        self.calibrate_batches = calibrate_batches
        self.noise_repeats = noise_repeats
        self.seed = seed
        self.cache_mb = cache_mb
        self.out_dir = out_dir

    def before_train(self, runner) -> None:
        """What the data cannot honour fails before any adaptation."""
        self._check_calibration(runner)

    def _start(self, runner) -> str:
        """The output folder, cleaned of temp files a kill left; refuses a
        model that already diverged."""
        out = osp.join(runner.work_dir, self.out_dir)
        if is_main_process():
            remove_stale_temps(out)
        check_finite(unwrap(runner.model), type(self).__name__)
        return out

    def _supernet(self, runner):
        return find_supernet(runner.model)

    def _batches(self, runner, num: int, offset: int = 0):
        """``num`` fixed training batches drawn with ``seed + offset``."""
        return calibration_batches(runner.train_dataloader, num,
                                   self.seed + offset)

    def _noise_batches(self, runner) -> List:
        """The other calibration draws the score noise is measured on."""
        return [self._batches(runner, self.calibrate_batches, 1 + k)
                for k in range(self.noise_repeats)]

    def _scorer(self, runner, prepare: Callable, calib=None
                ) -> SubnetScorer:
        """Fitness on the runner's val loader, racing as configured."""
        val = runner.val_loop
        scorer = SubnetScorer(
            runner.model, prepare,
            calib if calib is not None else self._batches(
                runner, self.calibrate_batches),
            self.calibrate_batches, val.dataloader, val.evaluator,
            self.metric_key, self.rule, self.seed, self.cache_mb)
        scorer.racing = Racing.from_settings(val.dataloader, self.race,
                                             self.seed, self.cache_mb)
        return scorer

    def _all_failed(self, search, log: str, state_path: str,
                    lost: str) -> RuntimeError:
        """The error when no candidate could be scored: the first reason,
        where the log is, how to start over."""
        first = next(iter(search.history.values()), None)
        return RuntimeError(
            f'{type(self).__name__}: every candidate failed (first: '
            f'{first.reason if first else "none evaluated"}); {lost}. See '
            f'{log}; fix the cause and rerun ({state_path} then starts '
            f'again: a state without one scored candidate is not resumed)')

    def _valid_for(self, runner, supernet, **more) -> dict:
        """What a saved state is only valid for: a resume with another
        value is refused, naming it."""
        val = runner.val_loop.dataloader.dataset
        return dict(supernet=supernet.digest(),
                    source=source_digest(supernet),
                    search_data=dataset_digest(val),
                    metric_key=self.metric_key,
                    rule=self.rule, input_shape=list(self.input_shape),
                    calibrate_batches=self.calibrate_batches,
                    val_size=len(val), **more, **self.race)

    def _check_calibration(self, runner) -> None:
        """Calibration on fewer batches than asked would be recorded as the
        asked-for number: refuse it, naming what the data holds."""
        loader = runner.train_dataloader
        size = len(loader.dataset)
        batch = loader.batch_size or getattr(loader.batch_sampler,
                                             'batch_size', 1)
        available = math.ceil(size / batch)
        if self.calibrate_batches > available:
            raise ValueError(
                f'{type(self).__name__}: calibrate_batches: '
                f'{self.calibrate_batches} asked, but the training split '
                f'({size} samples, batch size {batch}) holds {available}; '
                f'expected at most {available}')
