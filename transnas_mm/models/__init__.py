from .inplace_distiller import InplaceDistiller
from .sparse_supernet import SparseSuperNet
from .trans_nas_net import TransNASNet

__all__ = ['InplaceDistiller', 'SparseSuperNet', 'TransNASNet']
