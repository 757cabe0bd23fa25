"""transnas_mm: joint architecture and weight transfer from one sparse
super-network (Sun, Dou, Yan, ECCV 2020) for MMDetection and MMPretrain."""
from .utils import install_checkpoint_compat
from .version import __version__

# Before anything loads a checkpoint: MMEngine's own checkpoints must load
# under torch >= 2.6 without switching weights_only off.
install_checkpoint_compat()

from . import datasets, models  # noqa: E402,F401  (register classes)
from .registry import HOOKS, MODELS  # noqa: E402

__all__ = ['__version__', 'MODELS', 'HOOKS']
