"""The fitness of a sub-network: target metric with inherited weights after
BN recalibration. Failures (exception, NaN, missing metric) score worst."""
import copy
import math
import time
from typing import Callable, Dict, Optional, Sequence, Tuple, Union

import torch.nn as nn
from torch.utils.data import DataLoader

from ...utils.atomic_io import nonfinite_tensors
from ..core.candidate import Candidate
from .batch_cache import DEFAULT_CACHE_MB, cached
from .calibrate import recalibrate_bn, seeded
from .evaluate import evaluate
from .outcome import mark_failed, score_spread
from .racing import Racing
from .spread import score_each


class ObjectiveError(ValueError):
    """The objective cannot be scored for any candidate (a metric key the
    evaluator does not report): stops the search at the first candidate
    instead of failing them all."""


def check_finite(model: nn.Module, who: str) -> None:
    """Refuse to search a model that already holds NaN/inf (a diverged
    adaptation): every candidate would fail or score garbage."""
    bad = nonfinite_tensors(model.state_dict())
    if bad:
        raise FloatingPointError(
            f'{who}: the model to search has {len(bad)} non-finite tensor(s)'
            f' (first: {bad[0]}): the adaptation diverged; expected finite '
            f'weights (lower optim_wrapper.optimizer.lr?)')


class SubnetScorer:
    """Scores a candidate in place: ``prepare(cand)`` puts its weights in
    ``model`` (set the supernet's arch, or load transferred weights), an
    optional ``before_eval(cand)`` (e.g. a proxy finetune), then BN
    recalibration on the fixed ``calib_loader`` and evaluation.

    ``rule='greater'`` (accuracy, mAP) or ``'less'`` (losses, errors): the
    score is always "higher is better"; ``metrics`` keeps raw values.
    ``cache_mb``: the calibration and search-split batches are loaded once
    and kept while each fits in that many MiB (0: load per candidate).
    """

    def __init__(self, model: nn.Module, prepare: Callable[[Candidate], None],
                 calib_loader, calibrate_batches: int, val_loader,
                 evaluator, metric_key: str, rule: str = 'greater',
                 seed: int = 0, cache_mb: float = DEFAULT_CACHE_MB):
        if rule not in ('greater', 'less'):
            raise ValueError(f"rule: expected 'greater' or 'less', got "
                             f'{rule!r}')
        self.model = model
        self.prepare = prepare
        self.calib_loader = cached(calib_loader, cache_mb)
        self.calibrate_batches = calibrate_batches
        self.val_loader = cached(val_loader, cache_mb)
        self.evaluator = evaluator
        self.metric_key = metric_key
        self.sign = 1.0 if rule == 'greater' else -1.0
        self.seed = seed
        self.cache_mb = cache_mb
        self.timing: Dict[str, float] = dict(calibrate=0.0, evaluate=0.0,
                                             total=0.0)
        self.racing: Optional[Racing] = None  # set to race candidates
        self.images = 0  # search-split images evaluated so far
        # scoring on this rank alone (:mod:`.spread`): the whole split
        self.alone = False
        self._split = val_loader
        self._whole_split = None

    def score(self, cand: Candidate, before_eval: Optional[Callable] = None,
              bars: Union[None, float, Sequence[Optional[float]]] = None
              ) -> Candidate:
        """Fill ``cand.score/metrics/seconds/status/reason/images``. With
        ``self.racing`` and ``bars`` (per racing stage, the score to beat
        on that stage's images; see :meth:`Racing.evaluate`), a candidate
        that cannot reach one stops early: status ``'raced'``, score = its
        partial score; ``stage_scores`` = its score after each stage."""
        t0 = time.perf_counter()
        try:
            self.prepare(cand)
            if before_eval is not None:
                before_eval(cand)
            t1 = time.perf_counter()
            self._calibrate()
            t2 = time.perf_counter()
            metrics, seen = self._evaluate(cand, bars)
            self.timing['calibrate'] += t2 - t1
            self.timing['evaluate'] += time.perf_counter() - t2
            cand.metrics = {k: float(v) for k, v in metrics.items()
                            if isinstance(v, (int, float))}
            cand.score = self.sign * self._objective(metrics)
            cand.status, cand.reason = 'ok', ''
            if self.racing is not None and seen < self.racing.total:
                bar = self.racing.per_stage(bars)[
                    len(cand.stage_scores) - 1]
                cand.status = 'raced'
                cand.reason = (f'stopped after {seen}/{self.racing.total} '
                               f'images: {cand.score:.4f} + allowance < '
                               f'{bar:.4f} on the same images')
        except Exception as e:  # noqa: BLE001  a failing candidate is data
            if isinstance(e, ObjectiveError):
                self._clear_evaluator()
                raise
            mark_failed(cand, e)
            self._clear_evaluator()
        cand.seconds = time.perf_counter() - t0
        self.timing['total'] += cand.seconds
        return cand

    def _calibrate(self) -> None:
        """The candidate's own BN statistics; a diverged network fails."""
        with seeded(self.seed):
            recalibrate_bn(self.model, self.calib_loader,
                           self.calibrate_batches,
                           across_ranks=not self.alone)
        bad = nonfinite_tensors(self.model.state_dict())
        if bad:
            raise FloatingPointError(
                f'{len(bad)} non-finite weight/BN tensor(s) (first: '
                f'{bad[0]}): the network diverged')

    def _evaluate(self, cand: Candidate, bars) -> Tuple[dict, int]:
        """(metrics, images seen) on the search split (raced: possibly
        part of it); ``cand.images`` and ``stage_scores`` set."""
        if self.racing is not None:
            metrics, seen, cand.stage_scores = self.racing.evaluate(
                self.model, self.evaluator, self.metric_key, self.sign,
                bars)
        elif self.alone:
            metrics = evaluate(self.model, self.whole_split(),
                               self.evaluator, here=True)
            seen = len(self._split.dataset)
        else:
            metrics = evaluate(self.model, self.val_loader, self.evaluator)
            seen = len(self.val_loader.dataset)
        cand.images = seen
        self.images += seen
        return metrics, seen

    def whole_split(self):
        """The search split in full on this rank, in the order and batches
        one rank's loader gives (kept as the split's loader is)."""
        if self._whole_split is None:
            split = self._split
            self._whole_split = cached(DataLoader(
                split.dataset, batch_size=split.batch_size or 1,
                sampler=list(range(len(split.dataset))), num_workers=0,
                collate_fn=split.collate_fn), self.cache_mb)
        return self._whole_split

    def _objective(self, metrics: dict) -> float:
        """``metric_key``'s finite value; a key the evaluator never gives
        is the user's error (ObjectiveError), an empty result the
        candidate's."""
        if self.metric_key not in metrics and metrics:
            raise ObjectiveError(
                f'metric_key: {self.metric_key!r} is not among the val '
                f'evaluator\'s results; expected one of {sorted(metrics)}')
        if self.metric_key not in metrics:
            raise KeyError(
                f'metric {self.metric_key!r} not in results '
                f'{sorted(metrics)} (no detections?)')
        value = float(metrics[self.metric_key])
        if math.isnan(value) or math.isinf(value):
            raise FloatingPointError(f'{self.metric_key} is {value}')
        return value

    def noise(self, cand: Candidate, calib_loaders: Sequence,
              before_eval: Optional[Callable] = None) -> float:
        """Score noise: the std of ``cand``'s score (already scored) over
        its own calibration batches and each of ``calib_loaders`` (other
        seeded draws). A difference between candidates below it is luck
        of the calibration draw, not a better network."""
        copies = [copy.deepcopy(cand) for _ in calib_loaders]
        draws = {id(c): loader for c, loader in zip(copies, calib_loaders)}
        own = self.calib_loader

        def again(copied: Candidate) -> None:
            self.calib_loader = draws[id(copied)]
            self.score(copied, before_eval)
        try:  # each draw a candidate of its own: spread over the ranks
            score_each(self, copies, again)
        finally:
            self.calib_loader = own
        return score_spread([cand.score] + [c.score for c in copies])

    def _clear_evaluator(self) -> None:
        for metric in getattr(self.evaluator, 'metrics', []):
            metric.results.clear()
