"""The target-kind protocol and its registry."""
from typing import Dict, List, Optional, Tuple

from mmengine.config import Config


class InputError(ValueError):
    """A bad argument or data file of a user's target, named in one line."""


class TargetKind:
    """What differs between kinds of target.

    ``name``: the ``tools/new_target.py`` task argument; ``template``: the
    search config it starts from; ``head_keys``: model config keys that
    mark a model of this kind; ``quick_skip``: ``--quick`` options that do
    not apply to its models."""
    name = ''
    template = ''
    head_keys: Tuple[str, ...] = ()
    quick_skip: Tuple[str, ...] = ()

    def datasets(self, paths: Dict[str, Optional[str]],
                 imgs: Dict[str, Optional[str]], pipes: Dict[str, list],
                 classes_file: Optional[str]
                 ) -> Tuple[Dict[str, dict], Dict[str, int], List[str]]:
        """The user's splits as dataset configs: (datasets, sample counts,
        class names), by split; a split whose path is None is left out."""
        raise NotImplementedError

    def set_classes(self, cfg: Config, classes: List[str]) -> None:
        """The model (and evaluators) set for ``classes``."""
        raise NotImplementedError

    def finish(self, cfg: Config, datasets: Dict[str, dict]) -> None:
        """Anything that follows the final datasets (e.g. evaluators that
        read the same annotation files)."""


TARGET_KINDS: Dict[str, TargetKind] = {}


def register_kind(cls: type) -> type:
    """Class decorator: ``cls()`` becomes ``TARGET_KINDS[cls.name]``."""
    TARGET_KINDS[cls.name] = cls()
    return cls


def target_kind(name: str) -> TargetKind:
    if name not in TARGET_KINDS:
        raise InputError(f'task: {name!r}; expected one of '
                         f'{sorted(TARGET_KINDS)}')
    return TARGET_KINDS[name]


def kind_of_model(model: dict) -> TargetKind:
    """The kind whose heads ``model`` (a model config) has; the first
    kind without head keys (classification) otherwise."""
    for kind in TARGET_KINDS.values():
        if kind.head_keys and any(k in model for k in kind.head_keys):
            return kind
    return next(k for k in TARGET_KINDS.values() if not k.head_keys)
