"""TransNASNet: the searched network as an ordinary static backbone."""
from typing import Sequence, Union

import torch.nn as nn
from torch import Tensor

from ..registry import MODELS
from ..space import (PRESETS, Arch, arch_edges, arch_key, arch_ops, build_op,
                     build_space, load_arch, reference_arch, space_of,
                     space_preset)
from .dag_backbone import DagBackbone


@MODELS.register_module()
class TransNASNet(DagBackbone):
    """Holds only the chosen op of each layer; drop-in backbone for any
    mmdet / mmpretrain config. ``arch`` is a path to ``arch.json`` or the
    dict; it embeds its search space, so nothing else is needed.
    Initialise from ``subnet.pth`` with
    ``init_cfg=dict(type='Pretrained', checkpoint=...)``.
    ``arch='mobilenet_v2'`` / ``'efficientnet_lite0'``: the hand chain of
    that space preset, i.e. MobileNetV2 1.0 / EfficientNet-Lite0, which
    loads that network's pretrained checkpoint (mmpretrain, torchvision,
    efficientnet_pytorch names) through ``init_cfg`` as it is."""

    strict_keys = True  # a static net loads only its own arch's weights

    def __init__(self,
                 arch: Union[str, Arch],
                 out_indices: Sequence[int] = (-1, ),
                 frozen_stages: int = -1,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU6'),
                 norm_eval: bool = False,
                 init_cfg=None):
        if isinstance(arch, str) and arch in PRESETS:
            arch = reference_arch(build_space(**space_preset(arch)))
        arch = load_arch(arch)
        space = space_of(arch)
        super().__init__(space, out_indices, frozen_stages, norm_cfg,
                         act_cfg, norm_eval, init_cfg)
        self.arch = arch
        self._edges = arch_edges(arch)
        self.layers = nn.ModuleList([
            build_op(op, ly.in_channels, ly.out_channels, ly.stride,
                     self.norm_cfg, act_cfg, space.same_padding)
            for op, ly in zip(arch_ops(arch), space.layers)
        ])

    def forward(self, x: Tensor) -> tuple:
        return self._forward_dag(x, self._edges,
                                 lambda i, inp: self.layers[i](inp))

    def from_pretrained_net(self, state, net, source):
        """The pretrained network's weights, exactly, for its preset's hand
        chain."""
        hand = reference_arch(self.space)
        if arch_key(self.arch) != arch_key(hand):
            raise ValueError(f'{source}: a {net.name} checkpoint fits the '
                             f'hand chain (arch={net.preset!r}), not this '
                             f'searched arch')
        return self._hand_chain_state(state, net, source,
                                      self.state_dict())
