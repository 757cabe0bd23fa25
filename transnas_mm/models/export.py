"""Supernet checkpoint + arch -> TransNASNet weights (``subnet.pth``), and
whole-model checkpoints with that backbone spliced in."""
from typing import Dict, Union

from torch import Tensor

from ..space import Arch, load_arch, space_of
from ..utils.atomic_io import atomic_torch_save
from .sparse_supernet import SparseSuperNet


def supernet_from_checkpoint(checkpoint: str, arch: Arch,
                             prefix: str = 'backbone.') -> SparseSuperNet:
    """A SparseSuperNet of ``arch``'s space with the checkpoint's weights
    (refused by name if the checkpoint is from another space)."""
    space = space_of(arch)
    net = SparseSuperNet(**space.to_dict())
    net.load_pretrained(checkpoint, prefix)
    return net


def export_subnet_checkpoint(checkpoint: str, arch: Union[str, Arch],
                             out: str, prefix: str = 'backbone.') -> str:
    """Write the static network's weights (with the arch in ``meta``),
    loadable by ``TransNASNet(init_cfg=dict(type='Pretrained', ...))``."""
    arch = load_arch(arch)
    net = supernet_from_checkpoint(checkpoint, arch, prefix)
    atomic_torch_save(dict(state_dict=net.export_subnet(arch),
                           meta=dict(arch=arch, source=checkpoint)), out)
    return out


def splice_backbone(model_state: Dict[str, Tensor], prefix: str,
                    backbone: Dict[str, Tensor],
                    backbone_only: bool = False) -> Dict[str, Tensor]:
    """A whole-model state dict whose ``prefix`` (e.g. ``'backbone.'``)
    tensors are replaced by ``backbone`` (a TransNASNet's): what a finetune
    config's ``load_from`` takes. ``backbone_only``: drop the rest."""
    state = {} if backbone_only else {
        k: v.clone() for k, v in model_state.items()
        if not k.startswith(prefix)}
    state.update({prefix + k: v for k, v in backbone.items()})
    return state


def export_model_checkpoint(checkpoint: str, arch: Union[str, Arch],
                            out: str, prefix: str = 'backbone.',
                            backbone_only: bool = False) -> str:
    """Whole-model weights (neck/head as in ``checkpoint``) with the
    supernet backbone replaced by ``arch``'s TransNASNet weights (plain
    inheritance): what a finetune config's ``load_from`` takes.
    ``backbone_only``: drop the neck/head (a checkpoint of another task,
    e.g. the source classifier, whose head does not fit the target)."""
    arch = load_arch(arch)
    net = supernet_from_checkpoint(checkpoint, arch, prefix)
    from ..utils import safe_torch_load
    state = splice_backbone(safe_torch_load(checkpoint)['state_dict'],
                            prefix, net.export_subnet(arch), backbone_only)
    atomic_torch_save(dict(state_dict=state, meta=dict(
        arch=arch, source=checkpoint, weights='plain inheritance')), out)
    return out


def export_backbone_checkpoint(checkpoint: str, out: str,
                               prefix: str = 'backbone.') -> str:
    """A whole-model checkpoint cut to its backbone: loaded by a finetune
    config's ``load_from``, the neck and heads keep their fresh init."""
    from ..utils import safe_torch_load
    ckpt = safe_torch_load(checkpoint, map_location='cpu')
    state = {k: v for k, v in ckpt['state_dict'].items()
             if k.startswith(prefix)}
    if not state:
        raise ValueError(f'{checkpoint}: state_dict: no {prefix!r} tensors; '
                         f'expected a whole-model checkpoint')
    meta = dict(ckpt.get('meta') or {}, source=checkpoint,
                heads='fresh (backbone only)')
    atomic_torch_save(dict(state_dict=state, meta=meta), out)
    return out
