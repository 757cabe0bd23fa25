from .coco_by_name import NamedCocoDataset
from .demo_data import (SOURCE_CLASSES, TARGET_CLASSES, prepare_demo_data)

__all__ = ['NamedCocoDataset', 'SOURCE_CLASSES', 'TARGET_CLASSES',
           'prepare_demo_data']
