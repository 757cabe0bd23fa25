from .inplace_distiller import InplaceDistiller
from .sparse_supernet import SparseSuperNet, find_supernet
from .trans_nas_net import TransNASNet

__all__ = ['InplaceDistiller', 'SparseSuperNet', 'TransNASNet',
           'find_supernet']
