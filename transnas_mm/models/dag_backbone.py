"""What SparseSuperNet and TransNASNet share: the fixed stem, the wiring of
chain + extra edges, multi-scale outputs, ``frozen_stages``/``norm_eval``."""
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from mmengine.runner.checkpoint import CheckpointLoader
from torch import Tensor
from torch.nn.modules.batchnorm import _BatchNorm

from ..space import SearchSpace, build_space, space_preset
from ..space.ops import InvertedResidual, conv_unit
from ..utils.checkpoint_compat import last_loaded_checkpoint
from .pretrained import (PRETRAINED, PretrainedNet, convert_hand_chain,
                         describe_state_dict, detect_pretrained,
                         strip_backbone)

DEFAULT_INIT_CFG = [
    dict(type='Kaiming', layer=['Conv2d']),
    dict(type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm']),
]


def _fingerprint_tensor(fingerprint: str) -> torch.Tensor:
    return torch.tensor(list(bytes.fromhex(fingerprint)), dtype=torch.uint8)


def _fingerprint_str(t: torch.Tensor) -> str:
    return bytes(t.tolist()).hex()


def read_state_dict(path: str, prefix: Optional[str] = None
                    ) -> Tuple[Dict[str, torch.Tensor], str]:
    """The tensors of a checkpoint file (under ``prefix``, stripped) and
    the prefix as shown in messages; a one-line error for a file that holds
    no state dict or nothing under ``prefix``."""
    ckpt = CheckpointLoader.load_checkpoint(path, map_location='cpu')
    if not isinstance(ckpt, dict):
        raise ValueError(f'{path}: expected a checkpoint dict (a state '
                         f'dict, or a dict with "state_dict"), got a '
                         f'{type(ckpt).__name__}')
    state: Dict[str, torch.Tensor] = ckpt.get('state_dict', ckpt)
    if not isinstance(state, dict):
        raise ValueError(f'{path}: state_dict: expected a dict of '
                         f'tensors, got a {type(state).__name__}')
    shown = ''
    if prefix:
        shown = prefix if prefix.endswith('.') else prefix + '.'
        state = {k[len(shown):]: v for k, v in state.items()
                 if k.startswith(shown)}
        if not state:
            raise ValueError(f'{path}: no weights under prefix {shown!r}; '
                             f'expected a checkpoint of a model with this '
                             f'backbone')
    return state, shown


class DagBackbone(BaseModule):
    """Base of both backbones; subclasses own ``self.layers`` and their
    ``forward`` picks the op each layer runs (:meth:`_forward_dag`).

    ``strict_keys``: a checkpoint loaded through a parent model
    (``load_from``, resume) must hold exactly this backbone's tensors."""

    strict_keys = False

    def __init__(self, space: SearchSpace, out_indices: Sequence[int],
                 frozen_stages: int, norm_cfg: dict, act_cfg: dict,
                 norm_eval: bool, init_cfg, zero_init_residual: bool = True):
        super().__init__(init_cfg=init_cfg or DEFAULT_INIT_CFG)
        self.zero_init_residual = zero_init_residual
        self.space = space
        num_stages = len(space.stages)
        for i in out_indices:
            if not -num_stages <= i < num_stages:
                raise ValueError(f'out_indices: {i} is not a stage index '
                                 f'(0..{num_stages - 1}, or negative)')
        out_indices = tuple(i % num_stages for i in out_indices)
        if not -1 <= frozen_stages <= num_stages:
            raise ValueError(f'frozen_stages: expected -1..{num_stages}, got '
                             f'{frozen_stages}')
        self.out_indices = out_indices
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        if space.bn_eps and 'eps' not in norm_cfg:
            norm_cfg = dict(norm_cfg, eps=space.bn_eps)
        self.norm_cfg = norm_cfg
        self.act_cfg = act_cfg
        self.stem = conv_unit(3, space.stem_out, 3, 2, norm_cfg=norm_cfg,
                              act_cfg=act_cfg,
                              same_padding=space.same_padding)
        # MobileNetV2's final 1x1 conv (space.last_channels): the last
        # stage's output goes through it.
        self.final_conv = ConvModule(
            space.stage_channels[-1], space.last_out, 1, norm_cfg=norm_cfg,
            act_cfg=act_cfg) if space.last_out else None
        self._stage_ends = {space.stage_last_layer(s): s
                            for s in range(num_stages)}
        # The space travels with every checkpoint, so weights from another
        # space are refused by name instead of half-loading.
        self.register_buffer('space_id', _fingerprint_tensor(
            space.fingerprint()))

    def init_weights(self) -> None:
        cfg = self.init_cfg
        if isinstance(cfg, dict) and cfg.get('type') == 'Pretrained':
            self.load_pretrained(cfg['checkpoint'], cfg.get('prefix'))
            self._is_init = True
            return
        super().init_weights()
        if self.zero_init_residual:
            # Residual blocks start as identities: every sampled path is then
            # a well-scaled network from the first step.
            for m in self.modules():
                if isinstance(m, InvertedResidual) and m.use_res:
                    nn.init.zeros_(m.conv[-1].norm.weight)

    def load_pretrained(self, path: str, prefix: Optional[str] = None
                        ) -> None:
        """Load weights, refusing (one line, naming file and key) a
        checkpoint of another space or with missing/mis-shaped tensors."""
        state, shown = read_state_dict(path, prefix)
        found = detect_pretrained(state)
        if found is not None:
            state = self.from_pretrained_net(state, found[0], path)
        theirs = state.get('space_id')
        if theirs is not None and not torch.equal(theirs, self.space_id):
            raise ValueError(
                f'{path}: {shown}space_id: checkpoint is from another search '
                f'space ({_fingerprint_str(theirs)}), expected '
                f'{self.space.fingerprint()} (stages, candidates, '
                f'max_extra_edges, edge_seed, widen_factor, stem_channels '
                f'must match the source config)')
        own = self.state_dict()
        if 'space_id' not in state and not set(state) & set(own):
            if not prefix and set(strip_backbone(state)) & set(own):
                raise ValueError(
                    f'{path}: a whole model\'s checkpoint (this backbone\'s '
                    f'tensors are under \'backbone.\'); expected '
                    f'init_cfg=dict(type=\'Pretrained\', checkpoint=..., '
                    f'prefix=\'backbone.\')')
            raise ValueError(
                f'{path}: {shown}{describe_state_dict(state)}, with no '
                f'tensor of a {type(self).__name__}; expected a transnas_mm '
                f'checkpoint or one of '
                f'{", ".join(n.name for n in PRETRAINED)}')
        extra = sorted(set(state) - set(own)) if self.strict_keys else []
        if extra:  # a static net takes exactly its own arch's tensors
            raise ValueError(f'{path}: {shown}{extra[0]}: unexpected '
                             f'({len(extra)} tensors this arch does not '
                             f'have); expected a {type(self).__name__} '
                             f'checkpoint of this arch')
        for key, value in own.items():
            if key not in state:
                raise ValueError(f'{path}: {shown}{key}: missing; expected '
                                 f'a {type(self).__name__} checkpoint of '
                                 f'this space/arch')
            if state[key].shape != value.shape:
                raise ValueError(
                    f'{path}: {shown}{key}: shape {tuple(state[key].shape)}'
                    f', expected {tuple(value.shape)} (another space/arch?)')
        self.load_state_dict(state, strict=False)

    def from_pretrained_net(self, state: Dict[str, torch.Tensor],
                            net: PretrainedNet, source: str
                            ) -> Dict[str, torch.Tensor]:
        """This backbone's state dict from a pretrained network's (see
        :mod:`transnas_mm.models.pretrained`); only the hand chain of that
        network's space preset has its shapes."""
        raise ValueError(f'{source}: a {net.name} checkpoint; '
                         f'{type(self).__name__} cannot load it')

    def _hand_chain_state(self, state: Dict[str, torch.Tensor],
                          net: PretrainedNet, source: str,
                          template: Dict[str, torch.Tensor]
                          ) -> Dict[str, torch.Tensor]:
        # the preset as it is, or without its final 1x1 conv
        # (``last_channels=0``: a detection neck takes the last block)
        base = space_preset(net.preset)
        fits = {build_space(**base).fingerprint(),
                build_space(**dict(base, last_channels=0)).fingerprint()}
        if self.space.fingerprint() not in fits:
            raise ValueError(
                f'{source}: a {net.name} checkpoint fits only the '
                f"{net.preset!r} space preset (preset={net.preset!r} / "
                f"arch={net.preset!r}); this {type(self).__name__}'s space "
                f'is another ({self.space.fingerprint()})')
        converted, _ = convert_hand_chain(state, template,
                                          self.space.num_layers, source)
        return converted

    def _load_from_state_dict(self, state_dict, prefix, local_metadata,
                              strict, missing_keys, unexpected_keys,
                              error_msgs) -> None:
        """Check the whole backbone before any tensor is copied (``load_from``
        and resume go through here): a checkpoint of another space or arch
        is refused by name instead of loading half of it with
        size-mismatch warnings."""
        source = last_loaded_checkpoint()
        theirs = state_dict.get(prefix + 'space_id')
        if theirs is not None and not torch.equal(theirs, self.space_id):
            raise ValueError(
                f'{source}: {prefix}space_id: checkpoint is from another '
                f'search space ({_fingerprint_str(theirs)}), expected '
                f'{self.space.fingerprint()}')
        own = self.state_dict(prefix=prefix)
        for key, value in own.items():
            if key in state_dict and state_dict[key].shape != value.shape:
                raise ValueError(
                    f'{source}: {key}: shape {tuple(state_dict[key].shape)}, '
                    f'expected {tuple(value.shape)}: the checkpoint is of '
                    f'another arch (use the arch.json it was exported with)')
        if self.strict_keys and prefix:
            given = [k for k in state_dict if k.startswith(prefix)]
            extra = sorted(set(given) - set(own))
            missing = sorted(set(own) - set(given))
            if given and (extra or missing):
                key = (extra or missing)[0]
                raise ValueError(
                    f'{source}: {key}: {"unexpected" if extra else "missing"}'
                    f' ({len(extra)} unexpected, {len(missing)} missing '
                    f'backbone tensors): the checkpoint is of another arch '
                    f'(use the arch.json it was exported with)')
        super()._load_from_state_dict(state_dict, prefix, local_metadata,
                                      strict, missing_keys, unexpected_keys,
                                      error_msgs)

    @property
    def out_channels(self) -> List[int]:
        """Channels of each output, for neck ``in_channels``."""
        last = len(self.space.stages) - 1
        return [self.space.last_out if i == last and self.space.last_out
                else self.space.stage_channels[i] for i in self.out_indices]

    def _forward_dag(self, x: Tensor, layer_edges: Sequence[Sequence[int]],
                     run_layer: Callable[[int, Tensor], Tensor]
                     ) -> Tuple[Tensor, ...]:
        x = self.stem(x)
        # keep only the outputs a later edge reads (a chain keeps none)
        needed = {e for edges in layer_edges for e in edges}
        feats: Dict[int, Tensor] = {}
        outs = []
        for i, edges in enumerate(layer_edges):
            inp = x
            for e in edges:
                inp = inp + feats[e]
            x = run_layer(i, inp)
            if i in needed:
                feats[i] = x
            stage = self._stage_ends.get(i)
            if self.final_conv is not None and i == len(layer_edges) - 1:
                x = self.final_conv(x)
            if stage is not None and stage in self.out_indices:
                outs.append(x)
        return tuple(outs)

    def _stage_modules(self, stage: int) -> List[nn.Module]:
        mods = [self.layers[ly.index] for ly in self.space.layers
                if ly.stage == stage]
        if self.final_conv is not None and \
                stage == len(self.space.stages) - 1:
            mods.append(self.final_conv)
        return mods

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
