"""Kinds of target task (classification, detection): what
``tools/new_target.py`` and the comparison need to know about each, in one
place. A new kind is one module here (a registered :class:`TargetKind`)
plus its template configs."""
from .base import (TARGET_KINDS, InputError, TargetKind, kind_of_model,
                   register_kind, target_kind)
from .classification import Classification
from .detection import Detection

__all__ = ['TARGET_KINDS', 'InputError', 'TargetKind', 'kind_of_model',
           'register_kind', 'target_kind', 'Classification', 'Detection']
