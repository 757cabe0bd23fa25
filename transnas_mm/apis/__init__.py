from .export import (export_model_checkpoint, export_subnet_checkpoint,
                     supernet_from_checkpoint)

__all__ = [
    'export_model_checkpoint', 'export_subnet_checkpoint',
    'supernet_from_checkpoint'
]
