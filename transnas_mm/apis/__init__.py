"""The plugin's entry points for a user's own scripts: subnet export and
finetune configs (defined in ``models.export`` and
``utils.finetune_config``, which the searches use), new-target configs."""
from ..models.export import (export_backbone_checkpoint,
                             export_model_checkpoint,
                             export_subnet_checkpoint, splice_backbone,
                             supernet_from_checkpoint)
from ..utils.finetune_config import finetune_config, write_finetune_config

__all__ = [
    'export_backbone_checkpoint', 'export_model_checkpoint',
    'export_subnet_checkpoint',
    'splice_backbone', 'supernet_from_checkpoint', 'finetune_config',
    'write_finetune_config'
]
