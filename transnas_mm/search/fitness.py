"""The fitness of a sub-network: target metric with inherited weights after
BN recalibration. Failures (exception, NaN, missing metric) score worst."""
import math
import time
from typing import Callable, Dict, Optional

import torch.nn as nn

from .calibrate import recalibrate_bn, seeded
from .evaluate import evaluate
from .evolution import WORST, Candidate


class SubnetScorer:
    """Scores a candidate in place: ``prepare(cand)`` puts its weights in
    ``model`` (set the supernet's arch, or load transferred weights), an
    optional ``before_eval(cand)`` (e.g. a proxy finetune), then BN
    recalibration on the fixed ``calib_loader`` and evaluation.

    ``rule='greater'`` (accuracy, mAP) or ``'less'`` (losses, errors): the
    score is always "higher is better"; ``metrics`` keeps raw values.
    """

    def __init__(self, model: nn.Module, prepare: Callable[[Candidate], None],
                 calib_loader, calibrate_batches: int, val_loader,
                 evaluator, metric_key: str, rule: str = 'greater',
                 seed: int = 0):
        if rule not in ('greater', 'less'):
            raise ValueError(f"rule: expected 'greater' or 'less', got "
                             f'{rule!r}')
        self.model = model
        self.prepare = prepare
        self.calib_loader = calib_loader
        self.calibrate_batches = calibrate_batches
        self.val_loader = val_loader
        self.evaluator = evaluator
        self.metric_key = metric_key
        self.sign = 1.0 if rule == 'greater' else -1.0
        self.seed = seed
        self.timing: Dict[str, float] = dict(calibrate=0.0, evaluate=0.0,
                                             total=0.0)

    def score(self, cand: Candidate, before_eval: Optional[Callable] = None
              ) -> Candidate:
        """Fill ``cand.score/metrics/seconds/status/reason``."""
        t0 = time.perf_counter()
        try:
            self.prepare(cand)
            if before_eval is not None:
                before_eval(cand)
            t1 = time.perf_counter()
            with seeded(self.seed):
                recalibrate_bn(self.model, self.calib_loader,
                               self.calibrate_batches)
            t2 = time.perf_counter()
            metrics = evaluate(self.model, self.val_loader, self.evaluator)
            t3 = time.perf_counter()
            self.timing['calibrate'] += t2 - t1
            self.timing['evaluate'] += t3 - t2
            cand.metrics = {k: float(v) for k, v in metrics.items()
                            if isinstance(v, (int, float))}
            if self.metric_key not in metrics:
                raise KeyError(
                    f'metric {self.metric_key!r} not in results '
                    f'{sorted(metrics)} (no detections?)')
            value = float(metrics[self.metric_key])
            if math.isnan(value) or math.isinf(value):
                raise FloatingPointError(f'{self.metric_key} is {value}')
            cand.score = self.sign * value
            cand.status, cand.reason = 'ok', ''
        except Exception as e:  # noqa: BLE001  a failing candidate is data
            cand.score = WORST
            cand.status = 'failed'
            cand.reason = f'{type(e).__name__}: {e}'.splitlines()[0][:300]
            self._clear_evaluator()
        cand.seconds = time.perf_counter() - t0
        self.timing['total'] += cand.seconds
        return cand

    def _clear_evaluator(self) -> None:
        for metric in getattr(self.evaluator, 'metrics', []):
            metric.results.clear()
