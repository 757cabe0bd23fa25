"""The search space: layers, their candidate ops and the sparse connection
graph, derived deterministically from a few config values."""
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from .ops import DEFAULT_CANDIDATES, op_allowed, parse_op
from .presets import space_preset

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
    last_channels: int = 0
    # TensorFlow 'SAME' padding on strided convs (asymmetric on even
    # inputs): what networks trained in TensorFlow, EfficientNet-Lite's
    # checkpoints among them, need for their exact features.
    same_padding: bool = False
    # BatchNorm epsilon of every norm layer (0: the norm_cfg's own).
    bn_eps: float = 0.0
    # The hand chain's op per stage (empty: ``mb_k3e6`` everywhere, or a
    # layer's first candidate where it has none).
    reference_ops: Tuple[str, ...] = ()
    layers: Tuple[LayerSpec, ...] = field(init=False, compare=False,
                                          repr=False)

    def __post_init__(self):
        stages = tuple(_stage(s) for s in self.stages)
        object.__setattr__(self, 'stages', stages)
        object.__setattr__(self, 'candidates', tuple(self.candidates))
        for name in self.candidates:
            parse_op(name)
        if not self.candidates:
            raise ValueError('candidates: expected at least one op name')
        for i, s in enumerate(stages):
            if len(s) not in (3, 4) or s[0] < 1 or s[1] < 1 or \
                    s[2] not in (1, 2) or (len(s) == 4 and not s[3]):
                raise ValueError(
                    f'stages[{i}]={s}: expected (num_layers>=1, '
                    f'out_channels>=1, stride in (1, 2)[, candidates])')
            for name in s[3] if len(s) == 4 else ():
                parse_op(name)
        if self.last_channels < 0:
            raise ValueError(f'last_channels: expected >= 0 (0: no final '
                             f'1x1 conv), got {self.last_channels}')
        if self.max_extra_edges < 0:
            raise ValueError('max_extra_edges: expected >= 0')
        if self.bn_eps < 0:
            raise ValueError(f'bn_eps: expected >= 0 (0: the norm_cfg\'s '
                             f'own), got {self.bn_eps}')
        object.__setattr__(self, 'same_padding', bool(self.same_padding))
        object.__setattr__(self, 'bn_eps', float(self.bn_eps))
        object.__setattr__(self, 'reference_ops',
                           tuple(str(o) for o in self.reference_ops))
        if self.reference_ops and len(self.reference_ops) != len(stages):
            raise ValueError(
                f'reference_ops: expected one op per stage ({len(stages)}),'
                f' got {len(self.reference_ops)}')
        object.__setattr__(self, 'layers', self._build_layers())
        for s, op in enumerate(self.reference_ops):
            if any(op not in ly.candidates for ly in self.layers
                   if ly.stage == s):
                raise ValueError(f'reference_ops[{s}]: {op!r} is not a '
                                 f'candidate of every layer of stage {s}')

    @property
    def stem_out(self) -> int:
        return make_divisible(self.stem_channels * self.widen_factor)

    @property
    def stage_channels(self) -> List[int]:
        return [make_divisible(s[1] * self.widen_factor)
                for s in self.stages]

    @property
    def last_out(self) -> int:
        """Channels of the final 1x1 conv after the last stage (0: none).
        MobileNetV2 keeps its 1280 at widen factors below 1."""
        if self.widen_factor > 1.0:
            return int(self.last_channels * self.widen_factor)
        return self.last_channels

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
        for s, (stage, out_ch) in enumerate(
                zip(self.stages, self.stage_channels)):
            n, stride = stage[0], stage[2]
            names = stage[3] if len(stage) == 4 else self.candidates
            first = len(layers)
            for p in range(n):
                st = stride if p == 0 else 1
                cin = in_ch if p == 0 else out_ch
                ops = tuple(o for o in names
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
        out = dict(stages=[list(s[:3]) + ([list(s[3])] if len(s) == 4
                                          else []) for s in self.stages],
                   candidates=list(self.candidates),
                   max_extra_edges=self.max_extra_edges,
                   edge_seed=self.edge_seed,
                   widen_factor=self.widen_factor,
                   stem_channels=self.stem_channels)
        # Absent when unused: archs written before these existed still fit.
        if self.last_channels:
            out['last_channels'] = self.last_channels
        if self.same_padding:
            out['same_padding'] = True
        if self.bn_eps:
            out['bn_eps'] = self.bn_eps
        if self.reference_ops:
            out['reference_ops'] = list(self.reference_ops)
        return out

    @classmethod
    def from_dict(cls, cfg: Dict[str, Any]) -> 'SearchSpace':
        cfg = dict(cfg)
        cfg['stages'] = tuple(tuple(s) for s in cfg['stages'])
        cfg['candidates'] = tuple(cfg['candidates'])
        if 'reference_ops' in cfg:
            cfg['reference_ops'] = tuple(cfg['reference_ops'])
        return cls(**cfg)

    def fingerprint(self) -> str:
        """Hash of the realised structure (shapes, ops, kept edges)."""
        doc = [(ly.in_channels, ly.out_channels, ly.stride,
                list(ly.candidates), list(ly.extra_edges))
               for ly in self.layers]
        parts = [self.stem_out, doc] + ([self.last_out] if self.last_out
                                        else [])
        # what changes the computation, but not the shapes (only when set:
        # the fingerprints of spaces without them are unchanged)
        extra = {k: v for k, v in (('same_padding', self.same_padding),
                                   ('bn_eps', self.bn_eps),
                                   ('reference_ops',
                                    list(self.reference_ops))) if v}
        if extra:
            parts.append(extra)
        blob = json.dumps(parts, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def count_subnets(self, chain_only: bool = False) -> int:
        """Distinct sub-networks embedded: per layer, ops x edge subsets."""
        total = 1
        for ly in self.layers:
            edges = 1 if chain_only else 2**len(ly.extra_edges)
            total *= len(ly.candidates) * edges
        return total


def _stage(s: Sequence) -> tuple:
    """``(num_layers, out_channels, stride)``, optionally with the stage's
    own candidate ops as a fourth item (e.g. MobileNetV2's first block,
    whose expansion is 1)."""
    s = tuple(s)
    head = tuple(int(v) for v in s[:3])
    if len(s) == 4:
        return head + (tuple(str(o) for o in s[3]), )
    return head + s[3:]  # a wrong length is refused by the caller


def build_space(stages: Optional[Sequence[Sequence[int]]] = None,
                candidates: Optional[Sequence[str]] = None,
                **kwargs) -> SearchSpace:
    """SearchSpace from config values (``None`` = default)."""
    return SearchSpace(
        stages=tuple(tuple(s) for s in (stages or DEFAULT_STAGES)),
        candidates=tuple(candidates or DEFAULT_CANDIDATES), **kwargs)


SPACE_KEYS = ('stages', 'candidates', 'max_extra_edges', 'edge_seed',
              'widen_factor', 'stem_channels', 'last_channels',
              'same_padding', 'bn_eps', 'reference_ops')


def space_of_backbone(backbone_cfg: dict) -> SearchSpace:
    """The space a config's (super-network) backbone dict describes: its
    ``preset``, overridden by the space keys it sets."""
    cfg = space_preset(backbone_cfg['preset']) if backbone_cfg.get(
        'preset') else {}
    cfg.update({k: backbone_cfg[k] for k in SPACE_KEYS
                if backbone_cfg.get(k) is not None})
    return build_space(**cfg)
