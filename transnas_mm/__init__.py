"""transnas_mm: joint architecture and weight transfer from one sparse
super-network (Sun, Dou, Yan, ECCV 2020) for MMDetection and MMPretrain."""
from .utils import install_checkpoint_compat
from .version import __version__

# Before anything loads a checkpoint: MMEngine's own checkpoints must load
# under torch >= 2.6 without switching weights_only off.
install_checkpoint_compat()

from . import datasets, engine, hooks, models  # noqa: E402,F401
from .hooks import ArchSearchHook, WeightSearchHook  # noqa: E402
from .models import SparseSuperNet, TransNASNet  # noqa: E402
from .registry import HOOKS, LOOPS, MODELS  # noqa: E402
from .space import (ArchError, CostTable, load_arch,  # noqa: E402
                    save_arch)

__all__ = [
    '__version__', 'MODELS', 'HOOKS', 'LOOPS', 'ArchSearchHook',
    'WeightSearchHook',
    'SparseSuperNet', 'TransNASNet',
    'ArchError', 'CostTable', 'load_arch', 'save_arch'
]
