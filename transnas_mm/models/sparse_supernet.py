"""SparseSuperNet: the one-shot super-network, reduced by random edge
dropping, trained once on the source task."""
import copy
import hashlib
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn
from mmengine.model import is_model_wrapper
from torch import Tensor

from ..registry import MODELS
from ..space import (SKIP, Arch, SearchSpace, arch_edges, arch_ops,
                     build_op, build_space, reference_arch, sample_arch,
                     space_preset, validate_arch)
from ..space.remap import remap_block
from .dag_backbone import DagBackbone


def _space(preset: Optional[str], stages, candidates, max_extra_edges: int,
           edge_seed: int, widen_factor: float, stem_channels: int,
           last_channels: Optional[int], same_padding: Optional[bool],
           bn_eps: Optional[float], reference_ops) -> SearchSpace:
    """The super-network's space: the ``preset``'s values where the
    arguments leave them open (a preset's stem and, unless the stages are
    given, its hand chain)."""
    base = space_preset(preset) if preset else {}
    return build_space(
        stages or base.get('stages'), candidates or base.get('candidates'),
        max_extra_edges=max_extra_edges, edge_seed=edge_seed,
        widen_factor=widen_factor,
        stem_channels=base.get('stem_channels', stem_channels),
        last_channels=last_channels if last_channels is not None
        else base.get('last_channels', 0),
        same_padding=same_padding if same_padding is not None
        else base.get('same_padding', False),
        bn_eps=bn_eps if bn_eps is not None else base.get('bn_eps', 0.0),
        reference_ops=reference_ops if reference_ops is not None
        else () if stages else base.get('reference_ops', ()))


@MODELS.register_module()
class SparseSuperNet(DagBackbone):
    """Every candidate op of every layer owns its weights (O(C*N) params).

    In training mode, unless an arch is fixed with :meth:`set_arch`, each
    forward samples one sub-network (one op per layer, each kept edge dropped
    with ``edge_drop_prob``) from ``(sample_seed, step)``: every rank
    draws the same sub-network without communication, and the step counter
    is a buffer, so resuming continues the same sequence.

    Args:
        stages: ``[(num_layers, out_channels, stride), ...]``.
        candidates: op names, see :mod:`transnas_mm.space.ops`.
        max_extra_edges: extra incoming edges kept per layer (``k``).
        edge_drop_prob: per-step drop probability of each kept edge.
        edge_seed: seed of the construction-time edge draw.
        sample_seed: seed of the per-step sub-network draw.
        widen_factor, stem_channels: width of the space.
        last_channels: a final 1x1 conv after the last stage (MobileNetV2's
            1280; 0: none).
        same_padding, bn_eps, reference_ops: see
            :class:`~transnas_mm.space.SearchSpace` (a preset sets them).
        preset: a named space (``'mobilenet_v2'``, ``'efficientnet_lite0'``:
            its hand chain is that network, so ``init_cfg`` may load its
            pretrained checkpoint: the reference ops get its weights
            exactly, every other op is seeded from them by remap);
            ``stages``/``candidates``/``last_channels`` given override it.
        out_indices: stages whose outputs are returned (default: last).
        frozen_stages: freeze the stem and the first ``frozen_stages``
            stages (-1: nothing).
        warmup_iters: train only the reference chain (all ``mb_k3e6``,
            no extra edges) for this many steps, then seed every other op
            of each layer from it (kernel zero-padded, channels sliced, as
            in Once-for-All's progressive shrinking) and sample paths from
            there on: with random paths from step 0 a source trained
            from nothing can stay at chance (docs/method.md).
        keep_reference: the adaptation leaves the hand chain's weights
            (stem, reference ops, final conv) as loaded and trains every
            other op and the neck/head around it: a pretrained network
            stays that network (random paths on a few hundred target
            images wear its features down), and during a warm-up only the
            head trains. The searches call :meth:`release_reference`:
            their proxies train every op, as the finetune does.
        warmup_reseed: at the end of the warm-up, seed the other ops from
            the reference op (the source, trained from nothing). Target
            adaptation sets False: its ops are already trained on the
            source, and the warm-up only lets the new neck/head fit one
            stable path before paths are sampled.

    Loading pretrained weights (``init_cfg``) restarts the step counter:
    a target run draws its own path sequence (and warm-up) from step 0;
    a resumed run gets the counter back from its checkpoint.
    """

    def __init__(self,
                 stages: Optional[Sequence[Sequence[int]]] = None,
                 candidates: Optional[Sequence[str]] = None,
                 max_extra_edges: int = 2,
                 edge_drop_prob: float = 0.5,
                 edge_seed: int = 0,
                 sample_seed: int = 0,
                 widen_factor: float = 1.0,
                 stem_channels: int = 32,
                 out_indices: Sequence[int] = (-1, ),
                 frozen_stages: int = -1,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU6'),
                 norm_eval: bool = False,
                 warmup_iters: int = 0,
                 warmup_reseed: bool = True,
                 keep_reference: bool = False,
                 last_channels: Optional[int] = None,
                 same_padding: Optional[bool] = None,
                 bn_eps: Optional[float] = None,
                 reference_ops: Optional[Sequence[str]] = None,
                 preset: Optional[str] = None,
                 init_cfg=None):
        space = _space(preset, stages, candidates, max_extra_edges,
                       edge_seed, widen_factor, stem_channels,
                       last_channels, same_padding, bn_eps, reference_ops)
        super().__init__(space, out_indices, frozen_stages, norm_cfg,
                         act_cfg, norm_eval, init_cfg)
        if not 0.0 <= edge_drop_prob <= 1.0:
            raise ValueError(f'edge_drop_prob: expected 0..1, got '
                             f'{edge_drop_prob}')
        if warmup_iters < 0:
            raise ValueError(f'warmup_iters: expected >= 0, got '
                             f'{warmup_iters}')
        self.edge_drop_prob = edge_drop_prob
        self.sample_seed = sample_seed
        self.warmup_iters = warmup_iters
        self.warmup_reseed = warmup_reseed
        self.layers = nn.ModuleList([
            nn.ModuleDict({
                op: build_op(op, ly.in_channels, ly.out_channels, ly.stride,
                             self.norm_cfg, act_cfg, space.same_padding)
                for op in ly.candidates
            }) for ly in space.layers
        ])
        self.register_buffer('sample_step', torch.zeros((), dtype=torch.long))
        self.keep_reference = keep_reference
        self._freeze_stages()  # before any wrapper records what trains
        self._fixed_arch: Optional[Arch] = reference_arch(space)
        self._sampling = True
        self._last_arch: Arch = self._fixed_arch

    def load_pretrained(self, path: str, prefix: Optional[str] = None
                        ) -> None:
        self._seed_after_load = False
        super().load_pretrained(path, prefix)
        if self._seed_after_load:  # a pretrained net: seed the other ops
            self.seed_ops_from_reference(by_importance=True)
        self.sample_step.zero_()  # a new run: its own path sequence

    def from_pretrained_net(self, state, net, source):
        """The pretrained network's weights into the reference ops exactly;
        the other ops are then seeded from them (kernel zero-padded,
        channels sliced), as at the end of a warm-up."""
        ref = arch_ops(reference_arch(self.space))
        hand = self._hand_chain_state(state, net, source,
                                      self.export_subnet(
                                          reference_arch(self.space)))
        full = {k: v.clone() for k, v in self.state_dict().items()}
        for key, value in hand.items():
            parts = key.split('.')
            if parts[0] == 'layers':
                key = '.'.join(parts[:2] + [ref[int(parts[1])]] + parts[2:])
            full[key] = value
        self._seed_after_load = True
        return full

    def _reference_modules(self) -> List[nn.Module]:
        ops = arch_ops(reference_arch(self.space))
        mods = [self.stem] + [self.layers[i][op] for i, op in enumerate(ops)
                              if op != SKIP]
        return mods + ([self.final_conv] if self.final_conv is not None
                       else [])

    def _freeze_stages(self) -> None:
        super()._freeze_stages()
        if getattr(self, 'keep_reference', False):
            for module in self._reference_modules():
                for p in module.parameters():
                    p.requires_grad = False

    def release_reference(self) -> None:
        """End ``keep_reference``: every op trains again (``frozen_stages``
        still holds)."""
        if not self.keep_reference:
            return
        self.keep_reference = False
        for module in self._reference_modules():
            for p in module.parameters():
                p.requires_grad = True
        self._freeze_stages()

    # -- arch API -------------------------------------------------------
    def sample_arch(self, rng: np.random.Generator) -> Arch:
        return sample_arch(self.space, rng, 1.0 - self.edge_drop_prob)

    def set_arch(self, arch: Optional[Arch]) -> None:
        """Fix the sub-network used by every forward; ``None`` returns to
        per-step sampling in training mode."""
        if arch is None:
            self._sampling = True
            return
        self._fixed_arch = validate_arch(arch, self.space)
        self._last_arch = self._fixed_arch
        self._sampling = False

    @property
    def current_arch(self) -> Arch:
        """The arch of the last forward (or the fixed one)."""
        return copy.deepcopy(self._last_arch)

    def digest(self) -> str:
        """Hash of the parameters (not BN buffers, which a search changes):
        a saved search state is only resumed on the same weights."""
        h = hashlib.sha256()
        for name, p in sorted(self.named_parameters()):
            h.update(name.encode())
            h.update(p.detach().cpu().numpy().tobytes())
        return h.hexdigest()[:16]

    def export_subnet(self, arch: Arch) -> Dict[str, Tensor]:
        """State dict of the static :class:`TransNASNet` for ``arch``."""
        arch = validate_arch(arch, self.space)
        out = {key: value.clone() for key, value in self.state_dict().items()
               if not key.startswith('layers.') and key != 'sample_step'}
        for i, op in enumerate(arch_ops(arch)):
            for key, value in self.layers[i][op].state_dict().items():
                out[f'layers.{i}.{key}'] = value.clone()
        return out

    # -- forward --------------------------------------------------------
    @torch.no_grad()
    def seed_ops_from_reference(self, by_importance: bool = False) -> None:
        """Every op of every layer gets the reference op's weights,
        remapped to its shape (the end of the warm-up). ``by_importance``
        (a pretrained network): a narrower op keeps the reference op's
        most important hidden channels, which keeps a shrunk op closer to
        it (``benchmarks/remap_fidelity.py``)."""
        ref = arch_ops(reference_arch(self.space))
        for layer, op in zip(self.layers, ref):
            for name, module in layer.items():
                if name not in (op, SKIP):
                    module.load_state_dict(remap_block(
                        layer[op], module, by_importance=by_importance))

    def _arch_for_step(self) -> Arch:
        if self.training and self._sampling:
            step = int(self.sample_step)
            self.sample_step += 1
            if step < self.warmup_iters:
                return reference_arch(self.space)
            if step == self.warmup_iters and step > 0 and self.warmup_reseed:
                self.seed_ops_from_reference()
            rng = np.random.default_rng([self.sample_seed, step])
            return self.sample_arch(rng)
        return self._fixed_arch

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        arch = self._arch_for_step()
        self._last_arch = arch
        ops = arch_ops(arch)
        return self._forward_dag(x, arch_edges(arch),
                                 lambda i, inp: self.layers[i][ops[i]](inp))


def find_supernet(model: nn.Module) -> SparseSuperNet:
    """The SparseSuperNet inside a (wrapped) detector or classifier."""
    model = model.module if is_model_wrapper(model) else model
    for m in model.modules():
        if isinstance(m, SparseSuperNet):
            return m
    raise TypeError(f'{type(model).__name__} has no SparseSuperNet '
                    f'backbone')
