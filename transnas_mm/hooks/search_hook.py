"""What both search hooks share: the scoring arguments, checked when the
hook is built, and the data check before any training."""
import os.path as osp
import time
from typing import Any, Callable, Optional, Sequence, Tuple, TypeVar

from mmengine.hooks import Hook

from ..search.core.timing import add_time, timed
from ..search.scoring.batch_cache import DEFAULT_CACHE_MB
from ..search.settings import Scoring, refuse_unknown

T = TypeVar('T')


class SearchHook(Hook):
    """Base of ``ArchSearchHook`` and ``WeightSearchHook``; the work is a
    job of :mod:`transnas_mm.search` (``self.job``).

    Args:
        metric_key: the val evaluator's key, e.g. ``'coco/bbox_mAP'``.
        rule: ``'greater'`` or ``'less'`` is better.
        input_shape: ``(3, H, W)`` at which FLOPs are counted.
        calibrate_batches: fixed training batches for BN recalibration.
        noise_repeats: extra calibration draws that measure score noise.
        racing: ``dict(fractions=(0.25, 0.5), margin=0.0, top=None)`` (any
            key may be left out) to score candidates on growing subsets of
            the search split and stop one that cannot reach the ``top``-th
            best (None: the arch search's ``top_k``, the weight search's
            best); None: off. See
            :class:`~transnas_mm.search.scoring.racing.Racing`.
        seed: calibration/search seed.
        floor: the metric value the best candidate must reach on the
            search split ('less': stay under); below it the adapted model
            did not learn the target (e.g. a collapsed adaptation scoring
            0.001 mAP) and the search stops with an error instead of
            exporting a network from it. None: off.
        cache_mb: keep the calibration and search-split batches in memory
            while each loader's fit in this many MiB; 0: off.
        out_dir: folder under ``work_dir``.
    """

    priority = 'LOW'

    def scoring(self, moved: dict, metric_key: str, rule: str = 'greater',
                input_shape: Sequence[int] = Scoring.input_shape,
                calibrate_batches: int = Scoring.calibrate_batches,
                noise_repeats: int = Scoring.noise_repeats,
                racing: Optional[Any] = None, seed: int = 0,
                cache_mb: float = DEFAULT_CACHE_MB,
                floor: Optional[float] = None) -> Tuple[str, Scoring]:
        """(the hook's name, its scoring settings); an argument of an
        earlier release (``moved``) is refused with its new spelling."""
        owner = type(self).__name__
        refuse_unknown(owner, moved)
        return owner, Scoring.parse(owner, metric_key, rule, input_shape,
                                    calibrate_batches, noise_repeats,
                                    racing, seed, cache_mb, floor)

    def before_train(self, runner) -> None:
        """What the data cannot honour fails before any adaptation."""
        self.job.check_data(runner.train_dataloader)
        self._train_start = time.perf_counter()

    def timed_search(self, runner, part: str, work: Callable[[], T],
                     after_adaptation: bool) -> T:
        """``work()`` (the job's run), its wall time recorded as ``part``;
        ``after_adaptation``: this hook's search is the step's first, so
        the time since training started is the adaptation's."""
        out = osp.join(runner.work_dir, self.job.out_dir)
        if after_adaptation:
            add_time(out, 'adapt', time.perf_counter() - self._train_start)
        return timed(out, part, work)
