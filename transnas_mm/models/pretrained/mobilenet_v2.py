"""MobileNetV2 1.0 state dicts (mmpretrain ``MobileNetV2``, alone or inside
an ``ImageClassifier`` checkpoint, or torchvision ``mobilenet_v2``) read as
the units of the ``mobilenet_v2`` preset's hand chain.

Both libraries build each block from the same conv + BN units as ours, in
the same order; only the key names differ, so the conversion is a renaming
that checks every shape."""
import re
from typing import Dict, Optional

from torch import Tensor

from .units import Units, read_unit


def mobilenet_v2_kind(state: Dict[str, Tensor]) -> Optional[str]:
    """'mmpretrain', 'torchvision' or None (not a MobileNetV2)."""
    if 'conv1.conv.weight' in state and 'layer1.0.conv.0.conv.weight' in \
            state:
        return 'mmpretrain'
    if 'features.0.0.weight' in state and 'features.1.conv.0.0.weight' in \
            state:
        return 'torchvision'
    return None


def _mmpretrain_units(state) -> Units:
    blocks = sorted({tuple(int(v) for v in m.groups()) for m in (
        re.match(r'layer(\d+)\.(\d+)\.conv\.', k) for k in state) if m})
    out = [[read_unit(state, 'conv1.conv.weight', 'conv1.bn')]]
    for s, b in blocks:
        prefix = f'layer{s}.{b}.conv'
        js = sorted({int(m.group(1)) for m in (
            re.match(re.escape(prefix) + r'\.(\d+)\.conv\.weight$', k)
            for k in state) if m})
        out.append([read_unit(state, f'{prefix}.{j}.conv.weight',
                              f'{prefix}.{j}.bn') for j in js])
    if 'conv2.conv.weight' in state:
        out.append([read_unit(state, 'conv2.conv.weight', 'conv2.bn')])
    return out


def _torchvision_units(state) -> Units:
    feats = sorted({int(m.group(1)) for m in (
        re.match(r'features\.(\d+)\.', k) for k in state) if m})
    out = []
    for f in feats:
        prefix = f'features.{f}'
        if f'{prefix}.0.weight' in state:  # Conv2dNormActivation
            out.append([read_unit(state, f'{prefix}.0.weight',
                                  f'{prefix}.1')])
            continue
        units, j = [], 0
        while f'{prefix}.conv.{j}.weight' in state or \
                f'{prefix}.conv.{j}.0.weight' in state:
            if f'{prefix}.conv.{j}.0.weight' in state:  # conv + BN + act
                units.append(read_unit(state, f'{prefix}.conv.{j}.0.weight',
                                       f'{prefix}.conv.{j}.1'))
                j += 1
            else:  # the linear projection: a plain conv, then its BN
                units.append(read_unit(state, f'{prefix}.conv.{j}.weight',
                                       f'{prefix}.conv.{j + 1}'))
                j += 2
        out.append(units)
    return out


def mobilenet_v2_units(state: Dict[str, Tensor]) -> Units:
    """[stem], blocks in order (each its units), [final conv]."""
    if mobilenet_v2_kind(state) == 'mmpretrain':
        return _mmpretrain_units(state)
    return _torchvision_units(state)
