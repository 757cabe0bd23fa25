"""Load MMEngine checkpoints with ``weights_only=True`` on every torch.

MMEngine 0.10.7 calls ``torch.load`` without ``weights_only``; since torch 2.6
that refuses its own checkpoints (numpy arrays and ``HistoryBuffer`` in the
message hub). Instead of switching ``weights_only`` off, this allow-lists
exactly the types MMEngine checkpoints hold, so any other pickled object (a
code-execution payload) is still refused, with a one-line error naming the
file. The numpy 1 vs 2 module rename (``numpy.core`` -> ``numpy._core``) is
handled here too, so checkpoints written under either load.
"""
import codecs
import collections
import os.path as osp
import pickle
import re
from types import SimpleNamespace
from typing import Any, Callable, Dict, List, Tuple, Union

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint pickles an object outside the allow-list."""


def _history_buffer_getattr(obj: Any, name: str) -> Callable:
    """``getattr`` restricted to HistoryBuffer's statistics methods.

    ``HistoryBuffer.__getstate__`` pickles its statistics methods as
    ``getattr(HistoryBuffer, 'mean')``; a general ``getattr`` would let a
    payload reach arbitrary attributes, so only these are granted.
    """
    if obj is HistoryBuffer and not name.startswith('_') and callable(
            getattr(HistoryBuffer, name, None)):
        return getattr(HistoryBuffer, name)
    raise UnsafeCheckpointError(
        f'getattr({getattr(obj, "__name__", type(obj).__name__)}, {name!r})')


def _numpy_globals() -> List[Union[Callable, Tuple[Callable, str]]]:
    # numpy 2: numpy._core; numpy 1.26 has a numpy._core stub that maps
    # the submodule to numpy.core's on import (not as an attribute)
    try:
        from numpy._core import multiarray
    except ImportError:  # numpy < 1.26
        from numpy.core import multiarray
    entries: List[Union[Callable, Tuple[Callable, str]]] = [
        np.ndarray, np.dtype]
    for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        entries.append((multiarray._reconstruct, f'{module}._reconstruct'))
        entries.append((multiarray.scalar, f'{module}.scalar'))
    # numpy 2 pickles dtypes by class (numpy.dtypes.Float64DType, ...).
    dtype_classes = {type(np.dtype(c)) for c in np.typecodes['All'] if c}
    entries += [(cls, f'numpy.dtypes.{cls.__name__}') for cls in dtype_classes
                if cls.__module__ == 'numpy.dtypes']
    return entries


def allowed_checkpoint_globals() -> List[Union[Callable, Tuple[Callable, str]]]:
    """Everything an MMEngine/mmdet/mmpretrain checkpoint needs besides
    tensors and builtin containers."""
    return _numpy_globals() + [
        HistoryBuffer,
        (_history_buffer_getattr, 'builtins.getattr'),
        (_history_buffer_getattr, '__builtin__.getattr'),
    ]


def _refused_object(message: str) -> str:
    """The line of torch's multi-paragraph message that names the object."""
    found = re.search(r'GLOBAL ([\w.]+)|unrecognized function ([^\n]+)|'
                      r'getattr\([^\n]*\)', message)
    if found:
        return found.group(0)
    lines = [ln for ln in message.splitlines() if ln.strip()]
    return lines[-1] if lines else 'unknown object'


# torch >= 2.4 extends its weights-only unpickler with add_safe_globals;
# torch 2.1 (the OpenMMLab 2.1 stack) cannot: it instantiates no class but
# Parameter. There a restricted pickle module (find_class answers only the
# same allow-list) plays its part.
_SAFE_GLOBALS_API = hasattr(torch.serialization, 'add_safe_globals')


class _RestrictedUnpickler(pickle.Unpickler):
    """Resolves only torch's weights-only globals and this module's list."""

    allowed: Dict[str, Any] = {}

    def find_class(self, module: str, name: str) -> Any:
        found = self.allowed.get(f'{module}.{name}')
        if found is None:
            raise pickle.UnpicklingError(f'GLOBAL {module}.{name} is not an '
                                         f'allowed checkpoint type')
        return found


def _restricted_pickle() -> SimpleNamespace:
    if not _RestrictedUnpickler.allowed:
        from torch import _weights_only_unpickler
        allowed = dict(_weights_only_unpickler._get_allowed_globals())
        # what later torch's weights-only table allows beyond torch 2.1's
        # (bytes inside numpy arrays, counters and sets in the message hub)
        allowed.update({'_codecs.encode': codecs.encode,
                        'collections.Counter': collections.Counter,
                        'builtins.set': set, 'builtins.bytearray': bytearray,
                        'builtins.complex': complex})
        for entry in allowed_checkpoint_globals():
            obj, name = entry if isinstance(entry, tuple) else \
                (entry, f'{entry.__module__}.{entry.__qualname__}')
            allowed[name] = obj
        _RestrictedUnpickler.allowed = allowed
    return SimpleNamespace(
        __name__='transnas_mm_restricted_pickle',
        Unpickler=_RestrictedUnpickler,
        load=lambda f, **kw: _RestrictedUnpickler(f, **kw).load())


def safe_torch_load(filename: str, map_location: Any = None) -> Any:
    """``torch.load(weights_only=True)`` with a one-line error naming the
    file and the refused object (before torch 2.4: the same allow-list
    through a restricted unpickler)."""
    try:
        if _SAFE_GLOBALS_API:
            return torch.load(filename, map_location=map_location,
                              weights_only=True)
        return torch.load(filename, map_location=map_location,
                          pickle_module=_restricted_pickle())
    except pickle.UnpicklingError as e:
        detail = _refused_object(str(e))
        raise UnsafeCheckpointError(
            f'{filename}: refused to unpickle an object outside the allowed '
            f'checkpoint types (tensors, numpy arrays, MMEngine HistoryBuffer):'
            f' {detail}. Only load checkpoints you trust.') from None
    except (RuntimeError, EOFError) as e:
        # an interrupted download or another kind of file: torch says so
        # in several lines of advice; one names the cause
        lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
        raise ValueError(f'{filename}: not a readable PyTorch checkpoint ('
                         f'{lines[0] if lines else type(e).__name__}); '
                         f'expected a complete .pth file') from None


_LAST_LOADED: List[str] = []


def last_loaded_checkpoint() -> str:
    """The local checkpoint MMEngine loaded last (for error messages raised
    while its tensors are copied into a model), or ``'checkpoint'``."""
    return _LAST_LOADED[-1] if _LAST_LOADED else 'checkpoint'


def _load_from_local(filename: str, map_location: Any = None) -> Any:
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    _LAST_LOADED[:] = [filename]
    return safe_torch_load(filename, map_location)


_INSTALLED = False


def install_checkpoint_compat() -> None:
    """Allow-list MMEngine's checkpoint types and route MMEngine's local
    checkpoint loading through :func:`safe_torch_load`. Idempotent."""
    global _INSTALLED
    if _INSTALLED:
        return
    if _SAFE_GLOBALS_API:
        torch.serialization.add_safe_globals(allowed_checkpoint_globals())
    CheckpointLoader.register_scheme(prefixes='', force=True)(_load_from_local)
    _INSTALLED = True
