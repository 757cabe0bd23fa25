"""Custom hooks in a config, addressed by their type: ``--cfg-options``
that name a hook, and finding one."""
from typing import Any, Dict, Optional

from mmengine.config import Config


def hooks_by_type(cfg: Config, options: Dict[str, Any]) -> Dict[str, Any]:
    """Rewrite ``custom_hooks.ArchSearchHook.population=3`` (the type name
    without its ``transnas_mm.`` scope) as
    ``custom_hooks.<its index>.population=3``: configs and scripts need not
    know the hooks' order."""
    hooks = cfg.get('custom_hooks') or []
    types = [hook_type(h) for h in hooks]
    out = {}
    for key, value in options.items():
        parts = key.split('.')
        if len(parts) > 2 and parts[0] == 'custom_hooks' and \
                not parts[1].isdigit():
            name = parts[1]
            found = [i for i, t in enumerate(types) if t == name]
            if len(found) != 1:
                raise ValueError(
                    f'--cfg-options {key}: custom_hooks has {len(found)} '
                    f'hooks of type {name!r}; expected exactly one (types: '
                    f'{types})')
            parts[1] = str(found[0])
        out['.'.join(parts)] = value
    return out


SEARCH_HOOKS = ('ArchSearchHook', 'WeightSearchHook')


def hook_type(hook: Dict[str, Any]) -> str:
    """A hook config's type without its scope (``transnas_mm.``)."""
    return str(hook.get('type', '')).split('.')[-1]


def find_hook(cfg: Any, name: str) -> Optional[Dict[str, Any]]:
    """The first hook of type ``name`` in ``cfg.custom_hooks`` (a Config,
    a dict or the list itself), or None."""
    hooks = cfg if isinstance(cfg, (list, tuple)) else \
        (cfg.get('custom_hooks') or [])
    return next((h for h in hooks if hook_type(h) == name), None)


def is_search_hook(hook: Dict[str, Any]) -> bool:
    return hook_type(hook) in SEARCH_HOOKS
