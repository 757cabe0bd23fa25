"""The search space: layers, their candidate ops and the sparse connection
graph, derived deterministically from a few config values."""
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from .ops import DEFAULT_CANDIDATES, op_allowed, parse_op

# MobileNetV2-sized default: 21 searchable layers, stage outputs at strides
# 4, 8, 16, 16, 32, 32 (out_indices (0, 1, 3, 5) feed an FPN at 4/8/16/32).
DEFAULT_STAGES = ((4, 24, 2), (4, 32, 2), (4, 64, 2), (4, 96, 1),
                  (4, 160, 2), (1, 320, 1))


def make_divisible(value: float, divisor: int = 8) -> int:
    """Round channels to a multiple of ``divisor`` (never below 90%)."""
    new = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return new + divisor if new < 0.9 * value else new


@dataclass(frozen=True)
class LayerSpec:
    """One searchable layer: shapes, allowed ops and kept extra edges."""
    index: int
    stage: int
    in_channels: int
    out_channels: int
    stride: int
    candidates: Tuple[str, ...]
    extra_edges: Tuple[int, ...]  # earlier layers of the same stage


@dataclass(frozen=True)
class SearchSpace:
    """Everything that decides the super-network's structure. Two spaces
    with the same :meth:`fingerprint` build identical networks."""
    stages: Tuple[Tuple[int, int, int], ...] = DEFAULT_STAGES
    candidates: Tuple[str, ...] = DEFAULT_CANDIDATES
    max_extra_edges: int = 2
    edge_seed: int = 0
    widen_factor: float = 1.0
    stem_channels: int = 32
    layers: Tuple[LayerSpec, ...] = field(init=False, compare=False,
                                          repr=False)

    def __post_init__(self):
        stages = tuple(tuple(int(v) for v in s) for s in self.stages)
        object.__setattr__(self, 'stages', stages)
        object.__setattr__(self, 'candidates', tuple(self.candidates))
        for name in self.candidates:
            parse_op(name)
        if not self.candidates:
            raise ValueError('candidates: expected at least one op name')
        for i, s in enumerate(stages):
            if len(s) != 3 or s[0] < 1 or s[1] < 1 or s[2] not in (1, 2):
                raise ValueError(
                    f'stages[{i}]={s}: expected (num_layers>=1, '
                    f'out_channels>=1, stride in (1, 2))')
        if self.max_extra_edges < 0:
            raise ValueError('max_extra_edges: expected >= 0')
        object.__setattr__(self, 'layers', self._build_layers())

    @property
    def stem_out(self) -> int:
        return make_divisible(self.stem_channels * self.widen_factor)

    @property
    def stage_channels(self) -> List[int]:
        return [make_divisible(c * self.widen_factor)
                for _, c, _ in self.stages]

    @property
    def num_layers(self) -> int:
        return len(self.layers)

    def stage_last_layer(self, stage: int) -> int:
        return [ly.index for ly in self.layers if ly.stage == stage][-1]

    def _build_layers(self) -> Tuple[LayerSpec, ...]:
        # The edge draw uses its own generator: same seed, same graph.
        rng = np.random.default_rng(self.edge_seed)
        layers: List[LayerSpec] = []
        in_ch = self.stem_out
        for s, ((n, _, stride), out_ch) in enumerate(
                zip(self.stages, self.stage_channels)):
            first = len(layers)
            for p in range(n):
                st = stride if p == 0 else 1
                cin = in_ch if p == 0 else out_ch
                ops = tuple(o for o in self.candidates
                            if op_allowed(o, cin, out_ch, st))
                if not ops:
                    raise ValueError(
                        f'candidates: no op fits layer {len(layers)} '
                        f'({cin}->{out_ch}, stride {st}); add an mb op')
                # Extra inputs: outputs of earlier layers of this stage with
                # the stage's shape, excluding the chain predecessor.
                pool = list(range(first, first + p - 1))
                k = min(self.max_extra_edges, len(pool))
                kept = sorted(rng.choice(pool, size=k, replace=False).tolist()
                              ) if k else []
                layers.append(LayerSpec(len(layers), s, cin, out_ch, st, ops,
                                        tuple(int(e) for e in kept)))
            in_ch = out_ch
        return tuple(layers)

    def to_dict(self) -> Dict[str, Any]:
        """The config values that rebuild this space (stored in arch.json)."""
        return dict(stages=[list(s) for s in self.stages],
                    candidates=list(self.candidates),
                    max_extra_edges=self.max_extra_edges,
                    edge_seed=self.edge_seed,
                    widen_factor=self.widen_factor,
                    stem_channels=self.stem_channels)

    @classmethod
    def from_dict(cls, cfg: Dict[str, Any]) -> 'SearchSpace':
        cfg = dict(cfg)
        cfg['stages'] = tuple(tuple(s) for s in cfg['stages'])
        cfg['candidates'] = tuple(cfg['candidates'])
        return cls(**cfg)

    def fingerprint(self) -> str:
        """Hash of the realised structure (shapes, ops, kept edges)."""
        doc = [(ly.in_channels, ly.out_channels, ly.stride,
                list(ly.candidates), list(ly.extra_edges))
               for ly in self.layers]
        blob = json.dumps([self.stem_out, doc], sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def count_subnets(self, chain_only: bool = False) -> int:
        """Distinct sub-networks embedded: per layer, ops x edge subsets."""
        total = 1
        for ly in self.layers:
            edges = 1 if chain_only else 2**len(ly.extra_edges)
            total *= len(ly.candidates) * edges
        return total


def build_space(stages: Optional[Sequence[Sequence[int]]] = None,
                candidates: Optional[Sequence[str]] = None,
                **kwargs) -> SearchSpace:
    """SearchSpace from config values (``None`` = default)."""
    return SearchSpace(
        stages=tuple(tuple(s) for s in (stages or DEFAULT_STAGES)),
        candidates=tuple(candidates or DEFAULT_CANDIDATES), **kwargs)
