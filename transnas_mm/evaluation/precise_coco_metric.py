"""mmdet's CocoMetric without its rounding to 3 decimals, scored on the
images that were evaluated."""
import sys

from mmdet.evaluation.metrics import CocoMetric

from ..datasets.coco_by_name import cat_ids_by_name
from ..registry import METRICS


def _no_round(value, ndigits=None):
    return float(value)


@METRICS.register_module()
class PreciseCocoMetric(CocoMetric):
    """``CocoMetric`` that returns full-precision values and scores only the
    images it was given.

    mmdet 3.3 rounds every result to 3 decimals; a search whose candidates
    differ by less than 1e-3 mAP (early in training, small val sets) would
    see ties. And it scores every image of ``ann_file``: a split carved from
    one json with ``indices`` (search / held-out halves of COCO val), or a
    racing subset, would count the images it never saw as misses. Same
    arguments and keys as ``CocoMetric``.

    Label i is the category named ``classes[i]`` (as ``NamedCocoDataset``
    numbers them), not the i-th of the json's list among ``classes``: the
    same when the list follows the classes, which the data checks require
    of mmdet's ``CocoDataset``.
    """

    def compute_metrics(self, results: list) -> dict:
        if self.cat_ids is None and self._coco_api is not None:
            self.cat_ids = cat_ids_by_name(self._coco_api,
                                           self.dataset_meta['classes'])
        self.img_ids = sorted({pred['img_id'] for _, pred in results})
        module = sys.modules[CocoMetric.__module__]
        module.round = _no_round  # shadows the builtin inside that module
        try:
            return super().compute_metrics(results)
        finally:
            del module.round
