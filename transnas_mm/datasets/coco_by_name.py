"""COCO labels numbered by class name, whatever the order of a json's
categories list.

mmdet's ``CocoDataset`` and ``CocoMetric`` number labels by the order of
each json's own list: a train json and a val json written by two export
tools (same categories, other order) give one class two labels. Here label
i is ``metainfo.classes[i]`` in every split, matched by name."""
from typing import List, Sequence

from mmdet.datasets import CocoDataset
from mmdet.datasets.api_wrappers import COCO
from ..registry import DATASETS


def cat_ids_by_name(coco: COCO, classes: Sequence[str]) -> List[int]:
    """The category ids of ``classes``, in the order of ``classes``."""
    id_of = {cat['name']: cat['id'] for cat in coco.cats.values()}
    return [id_of[name] for name in classes if name in id_of]


class NamedCOCO(COCO):
    """``COCO`` whose ``get_cat_ids(cat_names=...)`` follows the names'
    order instead of the json's list."""

    def get_cat_ids(self, cat_names=[], sup_names=[], cat_ids=[]):
        if cat_names and not sup_names and not cat_ids:
            return cat_ids_by_name(self, cat_names)
        return super().get_cat_ids(cat_names, sup_names, cat_ids)


@DATASETS.register_module()
class NamedCocoDataset(CocoDataset):
    """``CocoDataset`` whose label i is ``metainfo.classes[i]``, found by
    name in the json (use it with ``transnas_mm.PreciseCocoMetric``)."""
    COCOAPI = NamedCOCO
