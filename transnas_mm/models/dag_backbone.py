"""What SparseSuperNet and TransNASNet share: the fixed stem, the wiring of
chain + extra edges, multi-scale outputs, ``frozen_stages``/``norm_eval``."""
from typing import Callable, List, Sequence, Tuple

import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch import Tensor
from torch.nn.modules.batchnorm import _BatchNorm

from ..space import SearchSpace

DEFAULT_INIT_CFG = [
    dict(type='Kaiming', layer=['Conv2d']),
    dict(type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm']),
]


class DagBackbone(BaseModule):
    """Base of both backbones; subclasses own ``self.layers`` and decide
    which op runs at each layer via :meth:`_run_layer`."""

    def __init__(self, space: SearchSpace, out_indices: Sequence[int],
                 frozen_stages: int, norm_cfg: dict, act_cfg: dict,
                 norm_eval: bool, init_cfg):
        super().__init__(init_cfg=init_cfg or DEFAULT_INIT_CFG)
        self.space = space
        num_stages = len(space.stages)
        out_indices = tuple(out_indices)
        for i in out_indices:
            if not 0 <= i < num_stages:
                raise ValueError(f'out_indices: {i} is not a stage index '
                                 f'(0..{num_stages - 1})')
        if not -1 <= frozen_stages <= num_stages:
            raise ValueError(f'frozen_stages: expected -1..{num_stages}, got '
                             f'{frozen_stages}')
        self.out_indices = out_indices
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.norm_cfg = norm_cfg
        self.act_cfg = act_cfg
        self.stem = ConvModule(3, space.stem_out, 3, stride=2, padding=1,
                               norm_cfg=norm_cfg, act_cfg=act_cfg)
        self._stage_ends = {space.stage_last_layer(s): s
                            for s in range(num_stages)}

    @property
    def out_channels(self) -> List[int]:
        """Channels of each output, for neck ``in_channels``."""
        return [self.space.stage_channels[i] for i in self.out_indices]

    def _forward_dag(self, x: Tensor, layer_edges: Sequence[Sequence[int]],
                     run_layer: Callable[[int, Tensor], Tensor]
                     ) -> Tuple[Tensor, ...]:
        x = self.stem(x)
        feats: List[Tensor] = []
        outs = []
        for i, edges in enumerate(layer_edges):
            inp = x
            for e in edges:
                inp = inp + feats[e]
            x = run_layer(i, inp)
            feats.append(x)
            stage = self._stage_ends.get(i)
            if stage is not None and stage in self.out_indices:
                outs.append(x)
        return tuple(outs)

    def _stage_modules(self, stage: int) -> List[nn.Module]:
        return [self.layers[ly.index] for ly in self.space.layers
                if ly.stage == stage]

    def _freeze_stages(self) -> None:
        if self.frozen_stages < 0:
            return
        frozen = [self.stem]
        for s in range(self.frozen_stages):
            frozen += self._stage_modules(s)
        for m in frozen:
            m.eval()
            for p in m.parameters():
                p.requires_grad = False

    def train(self, mode: bool = True) -> 'DagBackbone':
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self
