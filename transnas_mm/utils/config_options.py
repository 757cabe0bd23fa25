"""``--cfg-options`` that address a custom hook by its type."""
from typing import Any, Dict

from mmengine.config import Config


def hooks_by_type(cfg: Config, options: Dict[str, Any]) -> Dict[str, Any]:
    """Rewrite ``custom_hooks.ArchSearchHook.population=3`` (the type name
    without its ``transnas_mm.`` scope) as
    ``custom_hooks.<its index>.population=3``: configs and scripts need not
    know the hooks' order."""
    hooks = cfg.get('custom_hooks') or []
    types = [str(h.get('type', '')).split('.')[-1] for h in hooks]
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
