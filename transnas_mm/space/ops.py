"""Candidate operations of a searchable layer.

Op names are the public vocabulary of the arch format: ``mb_k{k}e{e}`` is a
MobileNetV2 inverted residual with a k x k depthwise conv and expansion e;
``skip`` is the identity (only where input and output shapes match).
"""
import math
import re
from typing import Dict, Optional

import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from torch import Tensor

_MB = re.compile(r'^mb_k(\d+)e(\d+)$')
SKIP = 'skip'
DEFAULT_CANDIDATES = ('mb_k3e3', 'mb_k3e6', 'mb_k5e3', 'mb_k5e6', 'mb_k7e3',
                      'mb_k7e6', SKIP)


def parse_op(name: str) -> Dict[str, int]:
    """``'mb_k5e3'`` -> ``{'kernel': 5, 'expand': 3}``; ``'skip'`` -> ``{}``.

    Raises ValueError naming the op for anything else.
    """
    if name == SKIP:
        return {}
    m = _MB.match(name) if isinstance(name, str) else None
    if m is None or int(m.group(1)) % 2 == 0 or int(m.group(2)) < 1:
        raise ValueError(
            f"unknown op {name!r}: expected 'skip' or 'mb_k<odd kernel>e<expand"
            f" ratio>' such as 'mb_k3e6'")
    return dict(kernel=int(m.group(1)), expand=int(m.group(2)))


def op_allowed(name: str, in_channels: int, out_channels: int,
               stride: int) -> bool:
    """``skip`` only where shapes allow; every ``mb`` op everywhere."""
    parse_op(name)
    return name != SKIP or (in_channels == out_channels and stride == 1)


class SamePadConv2d(nn.Conv2d):
    """``nn.Conv2d`` with TensorFlow's 'SAME' padding, computed from the
    input: output size ``ceil(input / stride)``, the odd pixel of padding
    at the bottom/right. Same parameters and state dict as ``nn.Conv2d``."""

    def forward(self, x: Tensor) -> Tensor:
        pads = []
        for size, k, s, d in zip(x.shape[-2:], self.kernel_size,
                                 self.stride, self.dilation):
            total = max((math.ceil(size / s) - 1) * s + (k - 1) * d + 1
                        - size, 0)
            pads.append((total // 2, total - total // 2))
        (top, bottom), (left, right) = pads
        x = F.pad(x, [left, right, top, bottom])
        return F.conv2d(x, self.weight, self.bias, self.stride, 0,
                        self.dilation, self.groups)


def conv_unit(in_channels: int, out_channels: int, kernel: int,
              stride: int = 1, groups: int = 1, norm_cfg: Optional[dict] = None,
              act_cfg: Optional[dict] = None,
              same_padding: bool = False) -> ConvModule:
    """Conv + norm + act. ``same_padding``: a strided conv pads as
    TensorFlow does (a stride-1 odd kernel pads the same either way)."""
    unit = ConvModule(in_channels, out_channels, kernel, stride=stride,
                      padding=kernel // 2, groups=groups,
                      norm_cfg=norm_cfg or dict(type='BN'), act_cfg=act_cfg)
    if same_padding and stride > 1:
        conv = unit.conv
        same = SamePadConv2d(conv.in_channels, conv.out_channels,
                             conv.kernel_size, conv.stride, 0,
                             conv.dilation, conv.groups,
                             bias=conv.bias is not None)
        same.load_state_dict(conv.state_dict())
        unit.conv = same
    return unit


class InvertedResidual(nn.Module):
    """MobileNetV2 block: 1x1 expand, k x k depthwise, 1x1 linear project;
    residual when shapes match."""

    def __init__(self, in_channels: int, out_channels: int, stride: int,
                 kernel: int, expand: int, norm_cfg: dict, act_cfg: dict,
                 same_padding: bool = False):
        super().__init__()
        mid = in_channels * expand
        self.use_res = stride == 1 and in_channels == out_channels
        layers = []
        if expand != 1:
            layers.append(conv_unit(in_channels, mid, 1, norm_cfg=norm_cfg,
                                    act_cfg=act_cfg))
        layers += [
            conv_unit(mid, mid, kernel, stride, groups=mid,
                      norm_cfg=norm_cfg, act_cfg=act_cfg,
                      same_padding=same_padding),
            conv_unit(mid, out_channels, 1, norm_cfg=norm_cfg, act_cfg=None),
        ]
        self.conv = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        out = self.conv(x)
        return x + out if self.use_res else out


def build_op(name: str, in_channels: int, out_channels: int, stride: int,
             norm_cfg: Optional[dict] = None,
             act_cfg: Optional[dict] = None,
             same_padding: bool = False) -> nn.Module:
    spec = parse_op(name)
    if name == SKIP:
        if not op_allowed(name, in_channels, out_channels, stride):
            raise ValueError(
                f"op 'skip' needs equal input/output shapes, got "
                f'{in_channels}->{out_channels} channels, stride {stride}')
        return nn.Identity()
    return InvertedResidual(in_channels, out_channels, stride,
                            spec['kernel'], spec['expand'],
                            norm_cfg or dict(type='BN'),
                            act_cfg or dict(type='ReLU6'), same_padding)
