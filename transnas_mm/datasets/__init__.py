from .demo_data import (SOURCE_CLASSES, TARGET_CLASSES, prepare_demo_data)

__all__ = ['SOURCE_CLASSES', 'TARGET_CLASSES', 'prepare_demo_data']
