"""Convert a MobileNetV2 1.0 state dict (mmpretrain ``MobileNetV2``, alone
or inside an ``ImageClassifier`` checkpoint, or torchvision
``mobilenet_v2``) into the hand chain of the ``mobilenet_v2`` space
preset: the network users already have becomes the starting point of a
super-network (reference ops exact, every other op seeded by remap) or a
drop-in ``TransNASNet``.

Both libraries build each block from the same conv + BN units as ours, in
the same order; only the key names differ, so the conversion is a renaming
that checks every shape."""
import re
from typing import Dict, List, Optional, Tuple

import torch
from torch import Tensor

BN_KEYS = ('weight', 'bias', 'running_mean', 'running_var',
           'num_batches_tracked')
# A unit: one conv weight and its BN's tensors, as ours are named.
Unit = Dict[str, Tensor]


def _strip(state: Dict[str, Tensor]) -> Dict[str, Tensor]:
    """Backbone tensors of a classifier checkpoint (``backbone.`` prefix),
    or the state dict as it is."""
    if any(k.startswith('backbone.') for k in state):
        return {k[len('backbone.'):]: v for k, v in state.items()
                if k.startswith('backbone.')}
    return state


def mobilenet_v2_kind(state: Dict[str, Tensor]) -> Optional[str]:
    """'mmpretrain', 'torchvision' or None (not a MobileNetV2)."""
    state = _strip(state)
    if 'conv1.conv.weight' in state and 'layer1.0.conv.0.conv.weight' in \
            state:
        return 'mmpretrain'
    if 'features.0.0.weight' in state and 'features.1.conv.0.0.weight' in \
            state:
        return 'torchvision'
    return None


def _unit(state: Dict[str, Tensor], conv: str, bn: str) -> Unit:
    unit = {'conv.weight': state[conv]}
    for key in BN_KEYS:
        if f'{bn}.{key}' in state:
            unit[f'bn.{key}'] = state[f'{bn}.{key}']
    return unit


def _mmpretrain_units(state) -> List[List[Unit]]:
    """[stem], blocks in order (each its units), [final conv]."""
    blocks = sorted({tuple(int(v) for v in m.groups()) for m in (
        re.match(r'layer(\d+)\.(\d+)\.conv\.', k) for k in state) if m})
    out = [[_unit(state, 'conv1.conv.weight', 'conv1.bn')]]
    for s, b in blocks:
        prefix = f'layer{s}.{b}.conv'
        js = sorted({int(m.group(1)) for m in (
            re.match(re.escape(prefix) + r'\.(\d+)\.conv\.weight$', k)
            for k in state) if m})
        out.append([_unit(state, f'{prefix}.{j}.conv.weight',
                          f'{prefix}.{j}.bn') for j in js])
    if 'conv2.conv.weight' in state:
        out.append([_unit(state, 'conv2.conv.weight', 'conv2.bn')])
    return out


def _torchvision_units(state) -> List[List[Unit]]:
    feats = sorted({int(m.group(1)) for m in (
        re.match(r'features\.(\d+)\.', k) for k in state) if m})
    out = []
    for f in feats:
        prefix = f'features.{f}'
        if f'{prefix}.0.weight' in state:  # Conv2dNormActivation
            out.append([_unit(state, f'{prefix}.0.weight', f'{prefix}.1')])
            continue
        units, j = [], 0
        while f'{prefix}.conv.{j}.weight' in state or \
                f'{prefix}.conv.{j}.0.weight' in state:
            if f'{prefix}.conv.{j}.0.weight' in state:  # conv + BN + act
                units.append(_unit(state, f'{prefix}.conv.{j}.0.weight',
                                   f'{prefix}.conv.{j}.1'))
                j += 1
            else:  # the linear projection: a plain conv, then its BN
                units.append(_unit(state, f'{prefix}.conv.{j}.weight',
                                   f'{prefix}.conv.{j + 1}'))
                j += 2
        out.append(units)
    return out


def _our_units(template: Dict[str, Tensor], num_layers: int
               ) -> List[List[str]]:
    """The key prefix of each of our conv units, in the same order:
    stem, each layer's ``conv.j``, the final conv."""
    out = [['stem']]
    for i in range(num_layers):
        js = sorted({int(m.group(1)) for m in (
            re.match(rf'layers\.{i}\.conv\.(\d+)\.conv\.weight$', k)
            for k in template) if m})
        out.append([f'layers.{i}.conv.{j}' for j in js])
    if 'final_conv.conv.weight' in template:
        out.append(['final_conv'])
    return out


def convert_mobilenet_v2(state: Dict[str, Tensor],
                         template: Dict[str, Tensor], num_layers: int,
                         source: str = '<state dict>'
                         ) -> Tuple[Dict[str, Tensor], str]:
    """(state dict of the hand chain ``TransNASNet`` whose own state dict is
    ``template``, the library it came from). A checkpoint of another shape
    is refused in one line naming the key and both shapes."""
    state = _strip(state)
    kind = mobilenet_v2_kind(state)
    if kind is None:
        raise ValueError(f'{source}: not a MobileNetV2 state dict; expected '
                         f'mmpretrain keys (conv1.conv.weight, layer1.0...) '
                         f'or torchvision keys (features.0.0.weight, ...)')
    theirs = _mmpretrain_units(state) if kind == 'mmpretrain' else \
        _torchvision_units(state)
    ours = _our_units(template, num_layers)
    if [len(u) for u in theirs] != [len(u) for u in ours]:
        raise ValueError(
            f'{source}: {kind} MobileNetV2 with {len(theirs) - 2} blocks '
            f'({[len(u) for u in theirs]} convs per unit); expected '
            f'MobileNetV2 1.0: {len(ours) - 2} blocks '
            f'({[len(u) for u in ours]})')
    out = {k: v.clone() for k, v in template.items()}
    for their_units, our_units in zip(theirs, ours):
        for unit, prefix in zip(their_units, our_units):
            for key, value in unit.items():
                full = f'{prefix}.{key}'
                if full not in out:
                    continue
                if value.shape != out[full].shape:
                    raise ValueError(
                        f'{source}: {kind} tensor for {full}: shape '
                        f'{tuple(value.shape)}, expected '
                        f'{tuple(out[full].shape)} (a MobileNetV2 of '
                        f'another width?)')
                out[full] = value.detach().clone().to(out[full].dtype)
    return out, kind


def load_mobilenet_v2(path: str) -> Dict[str, Tensor]:
    """The state dict of a MobileNetV2 checkpoint file (any of the
    layouts above), loaded on the CPU."""
    ckpt = torch.load(path, map_location='cpu', weights_only=True)
    if isinstance(ckpt, dict) and isinstance(ckpt.get('state_dict'), dict):
        ckpt = ckpt['state_dict']
    if not isinstance(ckpt, dict):
        raise ValueError(f'{path}: expected a state dict, got a '
                         f'{type(ckpt).__name__}')
    return ckpt
