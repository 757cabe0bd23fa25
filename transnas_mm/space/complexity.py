"""FLOPs and params of any arch in microseconds: a per-(layer, op) table
measured once with ``mmengine.analysis``, so an arch's cost is a sum."""
import json
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.analysis import FlopAnalyzer, parameter_count

from ..utils.atomic_io import atomic_write_json
from .arch import Arch, arch_ops, validate_arch
from .ops import build_op, conv_unit
from .search_space import SearchSpace

# The input FLOPs, params and latency are counted at unless told: the
# ImageNet resolution the spaces' hand chains were designed for.
INPUT_SHAPE = (3, 224, 224)


def _ceil_half(v: int) -> int:
    return (v + 1) // 2


def layer_input_sizes(space: SearchSpace,
                      hw: Tuple[int, int]) -> List[Tuple[int, int]]:
    """Spatial size entering each layer (3x3/kxk convs, padding k//2)."""
    h, w = _ceil_half(hw[0]), _ceil_half(hw[1])  # after the stride-2 stem
    sizes = []
    for ly in space.layers:
        sizes.append((h, w))
        if ly.stride == 2:
            h, w = _ceil_half(h), _ceil_half(w)
    return sizes


def _measure(module: nn.Module, shape: Sequence[int]) -> Tuple[int, int]:
    module = module.eval()
    with torch.no_grad():
        flops = FlopAnalyzer(module, (torch.zeros(1, *shape), ))
        flops.unsupported_ops_warnings(False)
        flops.uncalled_modules_warnings(False)
        total = int(flops.total())
    return total, int(parameter_count(module)[''])


def stem_and_layers(space: SearchSpace, input_shape: Sequence[int],
                    backbone: Optional[nn.Module] = None,
                    norm_cfg: Optional[dict] = None,
                    act_cfg: Optional[dict] = None):
    """What a per-(layer, op) table measures: ``(stem, layers)`` with
    ``layers[i] = (input shape, {op: module})``. Uses ``backbone``'s own
    modules when given (a SparseSuperNet), else builds each one."""
    c, h, w = input_shape
    if backbone is not None:
        stem = backbone.stem
    else:
        stem = conv_unit(c, space.stem_out, 3, 2, norm_cfg=norm_cfg,
                         act_cfg=act_cfg or dict(type='ReLU6'),
                         same_padding=space.same_padding)
    layers = []
    sizes = layer_input_sizes(space, (h, w))
    for ly, (lh, lw) in zip(space.layers, sizes):
        ops = {op: backbone.layers[ly.index][op] if backbone is not None
               else build_op(op, ly.in_channels, ly.out_channels, ly.stride,
                             norm_cfg, act_cfg, space.same_padding)
               for op in ly.candidates}
        layers.append(((ly.in_channels, lh, lw), ops))
    if space.last_out:
        last = space.layers[-1]
        lh, lw = sizes[-1]
        if last.stride == 2:
            lh, lw = _ceil_half(lh), _ceil_half(lw)
        if backbone is not None:
            final = backbone.final_conv
        else:
            final = conv_unit(last.out_channels, space.last_out, 1,
                              norm_cfg=norm_cfg,
                              act_cfg=act_cfg or dict(type='ReLU6'))
        stem = FixedParts(stem, final, (last.out_channels, lh, lw))
    return stem, layers


class FixedParts(nn.Module):
    """The parts every sub-network runs, measured as one: the stem on the
    input and the final 1x1 conv on the last stage's output shape."""

    def __init__(self, stem: nn.Module, final: nn.Module,
                 final_shape: Sequence[int]):
        super().__init__()
        self.stem = stem
        self.final = final
        self.final_shape = tuple(final_shape)

    def forward(self, x: torch.Tensor):
        last = x.new_zeros((x.shape[0], ) + self.final_shape)
        return self.stem(x), self.final(last)


class CostTable:
    """``flops[layer][op]`` and ``params[layer][op]`` at one input shape,
    plus the fixed stem. Element-wise adds of edges count 0, as in
    mmengine's counter."""

    def __init__(self, space: SearchSpace, input_shape: Sequence[int],
                 stem: Tuple[int, int], flops: List[Dict[str, int]],
                 params: List[Dict[str, int]]):
        self.space = space
        self.input_shape = tuple(input_shape)
        self.stem = stem
        self.flops_table = flops
        self.params_table = params

    @classmethod
    def measure(cls, space: SearchSpace,
                input_shape: Sequence[int] = INPUT_SHAPE,
                backbone: Optional[nn.Module] = None,
                norm_cfg: Optional[dict] = None,
                act_cfg: Optional[dict] = None) -> 'CostTable':
        """Count every (layer, op) once. Uses ``backbone``'s own modules
        when given (a SparseSuperNet), else builds each op temporarily."""
        stem, layers = stem_and_layers(space, input_shape, backbone,
                                       norm_cfg, act_cfg)
        stem_cost = _measure(stem, tuple(input_shape))
        flops, params = [], []
        for shape, ops in layers:
            f, p = {}, {}
            for op, module in ops.items():
                f[op], p[op] = _measure(module, shape)
            flops.append(f)
            params.append(p)
        if backbone is not None:
            backbone.train(backbone.training)
        return cls(space, input_shape, stem_cost, flops, params)

    @classmethod
    def of(cls, supernet: nn.Module,
           input_shape: Sequence[int]) -> 'CostTable':
        """The table of a SparseSuperNet at ``input_shape``, measured once
        and kept on it: op shapes never change, so both searches and the
        analysis tools share one measurement."""
        tables = supernet.__dict__.setdefault('_cost_tables', {})
        key = tuple(input_shape)
        if key not in tables:
            tables[key] = cls.measure(supernet.space, key, backbone=supernet)
        return tables[key]

    def cost(self, arch: Arch, validate: bool = False) -> Tuple[int, int]:
        """(FLOPs, params) of ``arch``: a table lookup per layer."""
        if validate:
            validate_arch(arch, self.space)
        flops, params = self.stem
        for i, op in enumerate(arch_ops(arch)):
            flops += self.flops_table[i][op]
            params += self.params_table[i][op]
        return flops, params

    def flops(self, arch: Arch) -> int:
        return self.cost(arch)[0]

    def params(self, arch: Arch) -> int:
        return self.cost(arch)[1]

    def to_dict(self) -> dict:
        return dict(space_fingerprint=self.space.fingerprint(),
                    space=self.space.to_dict(),
                    input_shape=list(self.input_shape),
                    stem=list(self.stem), flops=self.flops_table,
                    params=self.params_table)

    def save(self, path: str) -> None:
        atomic_write_json(path, self.to_dict())

    @classmethod
    def load(cls, path: str, space: SearchSpace) -> 'CostTable':
        with open(path) as f:
            doc = json.load(f)
        if doc.get('space_fingerprint') != space.fingerprint():
            raise ValueError(f'{path}: space_fingerprint: cost table is from '
                             f'another search space')
        return cls(space, doc['input_shape'], tuple(doc['stem']),
                   doc['flops'], doc['params'])
