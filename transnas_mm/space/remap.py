"""Weights of one inverted-residual op mapped onto another op of the same
layer (kernel centre-cropped / zero-padded, channels sliced / padded): how
the supernet's warm-up seeds its other ops and how NWS's ``op`` source
transfers weights. A narrower op may keep the source's most important
hidden channels instead of its first ones (``by_importance``, as
Once-for-All's progressive shrinking sorts them)."""
from typing import Dict, Optional

import torch
import torch.nn as nn
from torch import Tensor

from .ops import InvertedResidual

__all__ = ['hidden_order', 'remap_block', 'InvertedResidual']


def _roles(block: InvertedResidual) -> Dict[str, nn.Module]:
    """The ConvModules of an inverted residual by role, so blocks with and
    without an expand conv map onto each other."""
    convs = list(block.conv)
    names = ['expand', 'dw', 'project'] if len(convs) == 3 else \
        ['dw', 'project']
    return dict(zip(names, convs))


def _fit(src: Tensor, template: Tensor, pad_with_template: bool) -> Tensor:
    """``src`` reshaped to ``template``'s shape: spatial dims (>= 2 of a 4-d
    conv weight) centre-cropped / zero-padded, channel dims sliced /
    padded (zeros for conv weights, the template's values for BN)."""
    out = template.clone() if pad_with_template else \
        torch.zeros_like(template)
    src_idx, dst_idx = [], []
    for d, (s, t) in enumerate(zip(src.shape, template.shape)):
        n = min(s, t)
        if src.dim() == 4 and d >= 2:  # kernel: centred
            src_idx.append(slice((s - n) // 2, (s - n) // 2 + n))
            dst_idx.append(slice((t - n) // 2, (t - n) // 2 + n))
        else:
            src_idx.append(slice(0, n))
            dst_idx.append(slice(0, n))
    out[tuple(dst_idx)] = src[tuple(src_idx)].to(out.dtype)
    return out


def hidden_order(block: InvertedResidual) -> Optional[Tensor]:
    """The block's hidden channels, most important first (the L1 norm of
    the project conv's weights reading each, Once-for-All's measure);
    None for a block without an expand conv (its hidden channels are its
    input channels, which no op of the layer may reorder)."""
    roles = _roles(block)
    if 'expand' not in roles:
        return None
    weight = roles['project'].conv.weight.detach()
    return weight.abs().sum(dim=(0, 2, 3)).argsort(descending=True,
                                                    stable=True)


def _role_states(block: InvertedResidual, order: Optional[Tensor]
                 ) -> Dict[str, Dict[str, Tensor]]:
    """Each role's state dict, hidden channels taken in ``order`` (the
    project conv's input dim, every other role's output dim)."""
    states = {role: dict(module.state_dict())
              for role, module in _roles(block).items()}
    if order is None:
        return states
    for role, state in states.items():
        for key, value in state.items():
            if key.endswith('num_batches_tracked'):
                continue
            if role != 'project':
                state[key] = value.index_select(0, order)
            elif value.dim() == 4:  # not the project BN: output channels
                state[key] = value.index_select(1, order)
    return states


def remap_block(src: nn.Module, dst: nn.Module,
                by_importance: bool = False) -> Dict[str, Tensor]:
    """State dict for ``dst`` built from ``src``'s weights (both inverted
    residuals); roles missing in ``src`` keep ``dst``'s values.
    ``by_importance``: a ``dst`` with fewer hidden channels keeps ``src``'s
    most important ones (:func:`hidden_order`), not its first ones."""
    state = {k: v.clone() for k, v in dst.state_dict().items()}
    src_roles, dst_roles = _roles(src), _roles(dst)
    order = None
    if by_importance and 'expand' in dst_roles and \
            dst_roles['dw'].conv.out_channels < \
            src_roles['dw'].conv.out_channels:
        order = hidden_order(src)
    src_states = _role_states(src, order)
    prefix = {id(m): name for name, m in dst.named_modules()}
    for role, module in dst_roles.items():
        if role not in src_roles:
            continue
        base = prefix[id(module)]
        for key, value in src_states[role].items():
            full = f'{base}.{key}'
            if key.endswith('num_batches_tracked'):
                continue
            is_conv = value.dim() == 4
            state[full] = _fit(value, state[full],
                               pad_with_template=not is_conv)
    return state
