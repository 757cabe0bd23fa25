"""Latency of any arch as a table sum, measured on the machine that runs
the search: what users deploying the found network ask for (as in
Once-for-All's latency tables), where FLOPs are only a proxy."""
import json
import platform
import statistics
import time
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn as nn

from ..utils.atomic_io import atomic_write_json
from .arch import Arch, arch_edges, arch_ops
from .complexity import INPUT_SHAPE, stem_and_layers
from .ops import SKIP
from .search_space import SearchSpace


@torch.no_grad()
def measure_latency(module: nn.Module, shape: Sequence[int],
                    repeats: int = 30, warmup: int = 10) -> float:
    """Median forward time in ms of ``module`` (eval mode, no grad) on one
    input of ``shape`` (batch 1), after ``warmup`` untimed runs."""
    was_training = module.training
    module.eval()
    x = torch.randn(1, *shape)
    for _ in range(warmup):
        module(x)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        module(x)
        times.append((time.perf_counter() - t0) * 1e3)
    module.train(was_training)
    return statistics.median(times)


class _Add(nn.Module):
    """One extra edge: an element-wise add of two same-shape tensors."""

    def forward(self, x):
        return x + x


class LatencyTable:
    """``ops[layer][op]`` ms per (layer, op), ``add[layer]`` ms per extra
    edge into the layer, plus the stem, at one input shape, batch 1, on
    the CPU threads of the machine that measured it (``host``)."""

    def __init__(self, space: SearchSpace, input_shape: Sequence[int],
                 stem: float, ops: List[Dict[str, float]],
                 add: List[float], host: Optional[dict] = None):
        self.space = space
        self.input_shape = tuple(input_shape)
        self.stem = stem
        self.ops = ops
        self.add = add
        self.host = host or {}

    @classmethod
    def measure(cls, space: SearchSpace,
                input_shape: Sequence[int] = INPUT_SHAPE,
                backbone: Optional[nn.Module] = None, repeats: int = 30,
                warmup: int = 10) -> 'LatencyTable':
        """Time every (layer, op) once, using ``backbone``'s own modules
        when given (a SparseSuperNet), else building each op."""
        stem, layers = stem_and_layers(space, input_shape, backbone)
        stem_ms = measure_latency(stem, tuple(input_shape), repeats, warmup)
        ops, add = [], []
        for shape, modules in layers:
            ops.append({op: 0.0 if op == SKIP else measure_latency(
                module, shape, repeats, warmup)
                for op, module in modules.items()})
            add.append(measure_latency(_Add(), shape, repeats, warmup))
        host = dict(machine=platform.machine(),
                    threads=torch.get_num_threads(), torch=torch.__version__)
        return cls(space, input_shape, stem_ms, ops, add, host)

    def latency(self, arch: Arch) -> float:
        """ms of ``arch``: stem + its ops + its extra edges' adds."""
        total = self.stem
        for i, (op, edges) in enumerate(zip(arch_ops(arch),
                                            arch_edges(arch))):
            total += self.ops[i][op] + len(edges) * self.add[i]
        return total

    def to_dict(self) -> dict:
        return dict(space_fingerprint=self.space.fingerprint(),
                    input_shape=list(self.input_shape), unit='ms',
                    stem=self.stem, ops=self.ops, add=self.add,
                    host=self.host)

    def save(self, path: str) -> None:
        atomic_write_json(path, self.to_dict())

    @classmethod
    def from_dict(cls, doc: dict, space: SearchSpace,
                  source: str = '<latency table>') -> 'LatencyTable':
        if doc.get('space_fingerprint') != space.fingerprint():
            raise ValueError(f'{source}: space_fingerprint: latency table is '
                             f'from another search space')
        return cls(space, doc['input_shape'], doc['stem'], doc['ops'],
                   doc['add'], doc.get('host'))

    @classmethod
    def load(cls, path: str, space: SearchSpace) -> 'LatencyTable':
        with open(path) as f:
            return cls.from_dict(json.load(f), space, path)
