from .export import export_subnet_checkpoint, supernet_from_checkpoint

__all__ = ['export_subnet_checkpoint', 'supernet_from_checkpoint']
