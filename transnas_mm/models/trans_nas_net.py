"""TransNASNet: the searched network as an ordinary static backbone."""
from typing import Sequence, Union

import torch.nn as nn
from torch import Tensor

from ..registry import MODELS
from ..space import Arch, arch_edges, arch_ops, build_op, load_arch, space_of
from .dag_backbone import DagBackbone


@MODELS.register_module()
class TransNASNet(DagBackbone):
    """Holds only the chosen op of each layer; drop-in backbone for any
    mmdet / mmpretrain config. ``arch`` is a path to ``arch.json`` or the
    dict; it embeds its search space, so nothing else is needed.
    Initialise from ``subnet.pth`` with
    ``init_cfg=dict(type='Pretrained', checkpoint=...)``."""

    strict_keys = True  # a static net loads only its own arch's weights

    def __init__(self,
                 arch: Union[str, Arch],
                 out_indices: Sequence[int] = (-1, ),
                 frozen_stages: int = -1,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU6'),
                 norm_eval: bool = False,
                 init_cfg=None):
        arch = load_arch(arch)
        space = space_of(arch)
        super().__init__(space, out_indices, frozen_stages, norm_cfg,
                         act_cfg, norm_eval, init_cfg)
        self.arch = arch
        self._edges = arch_edges(arch)
        self.layers = nn.ModuleList([
            build_op(op, ly.in_channels, ly.out_channels, ly.stride,
                     norm_cfg, act_cfg)
            for op, ly in zip(arch_ops(arch), space.layers)
        ])

    def forward(self, x: Tensor) -> tuple:
        return self._forward_dag(x, self._edges,
                                 lambda i, inp: self.layers[i](inp))
