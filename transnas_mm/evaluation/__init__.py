"""Imported lazily (the METRICS registry's location): it needs mmdet."""
from .precise_coco_metric import PreciseCocoMetric

__all__ = ['PreciseCocoMetric']
