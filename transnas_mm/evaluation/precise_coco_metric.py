"""mmdet's CocoMetric without its rounding to 3 decimals."""
import sys

from mmdet.evaluation.metrics import CocoMetric

from ..registry import METRICS


def _no_round(value, ndigits=None):
    return float(value)


@METRICS.register_module()
class PreciseCocoMetric(CocoMetric):
    """``CocoMetric`` that returns full-precision values.

    mmdet 3.3 rounds every result to 3 decimals; a search whose candidates
    differ by less than 1e-3 mAP (early in training, small val sets) would
    see ties. Same arguments and keys as ``CocoMetric``.
    """

    def compute_metrics(self, results: list) -> dict:
        module = sys.modules[CocoMetric.__module__]
        module.round = _no_round  # shadows the builtin inside that module
        try:
            return super().compute_metrics(results)
        finally:
            del module.round
