from .export import (export_backbone_checkpoint, export_model_checkpoint,
                     export_subnet_checkpoint, splice_backbone,
                     supernet_from_checkpoint)
from .finetune_config import finetune_config, write_finetune_config

__all__ = [
    'export_backbone_checkpoint', 'export_model_checkpoint',
    'export_subnet_checkpoint',
    'splice_backbone', 'supernet_from_checkpoint', 'finetune_config',
    'write_finetune_config'
]
