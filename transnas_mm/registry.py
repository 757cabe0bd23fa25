"""transnas_mm registries: children of MMEngine's root registries, scope
``transnas_mm``, so our classes are found from mmdet- and mmpretrain-scoped
configs alike as ``type='transnas_mm.Name'``."""
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import Registry

MODELS = Registry(
    'model', parent=MMENGINE_MODELS, scope='transnas_mm',
    locations=['transnas_mm.models'])
HOOKS = Registry(
    'hook', parent=MMENGINE_HOOKS, scope='transnas_mm',
    locations=['transnas_mm.hooks'])
METRICS = Registry(
    'metric', parent=MMENGINE_METRICS, scope='transnas_mm',
    locations=['transnas_mm.evaluation'])
LOOPS = Registry(
    'loop', parent=MMENGINE_LOOPS, scope='transnas_mm',
    locations=['transnas_mm.engine'])
DATASETS = Registry(
    'dataset', parent=MMENGINE_DATASETS, scope='transnas_mm',
    locations=['transnas_mm.datasets'])
