"""Where a layer's starting weights can come from in the super-network (the
NWS search space), and how a source is remapped onto the chosen op.

A source is ``{'kind': k, 'layer': l, 'op': o}`` with kind one of
``inherit`` (its own trained candidate, plain inheritance), ``layer`` (the
same op at another layer of the stage with identical shapes), ``op``
(another op of the same layer, kernel centre-cropped/zero-padded and
channels sliced/zero-padded), ``fresh`` (re-initialised, no transfer) or,
when asked for (``search=dict(source=True)``), ``source``: the same op's
weights in the source checkpoint, before the adaptation (for a pretrained
source whose features the adaptation on a small target may wear down).
"""
import copy
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn as nn
from mmengine.model import kaiming_init
from torch import Tensor

from ...space import SKIP, Arch, SearchSpace, arch_ops
from ...space.remap import remap_block

Source = Dict[str, object]
KINDS = ('inherit', 'source', 'layer', 'op', 'fresh')


def inherit(layer: int, op: str) -> Source:
    return dict(kind='inherit', layer=layer, op=op)


def layer_sources(space: SearchSpace, arch: Arch, index: int,
                  source: bool = False) -> List[Source]:
    """All sources for layer ``index`` of ``arch``; plain inheritance
    first, then (``source``) the source checkpoint's. ``skip`` has no
    weights: inheritance only."""
    op = arch_ops(arch)[index]
    spec = space.layers[index]
    out = [inherit(index, op)]
    if op == SKIP:
        return out
    if source:
        out.append(dict(kind='source', layer=index, op=op))
    for other in space.layers:
        if other.index != index and other.stage == spec.stage and \
                (other.in_channels, other.out_channels, other.stride) == \
                (spec.in_channels, spec.out_channels, spec.stride) and \
                op in other.candidates:
            out.append(dict(kind='layer', layer=other.index, op=op))
    for other_op in spec.candidates:
        if other_op not in (op, SKIP):
            out.append(dict(kind='op', layer=index, op=other_op))
    out.append(dict(kind='fresh', layer=index, op=op))
    return out


def all_sources(space: SearchSpace, arch: Arch, source: bool = False
                ) -> List[List[Source]]:
    return [layer_sources(space, arch, i, source)
            for i in range(space.num_layers)]


def op_states(supernet) -> Dict[str, Dict[str, Tensor]]:
    """A copy of every op's weights, keyed ``'layer.op'``."""
    return {f'{i}.{op}': copy.deepcopy(m.state_dict())
            for i, layer in enumerate(supernet.layers)
            for op, m in layer.items() if op != SKIP}


def source_op_states(supernet) -> Dict[str, Dict[str, Tensor]]:
    """Every op's weights as the backbone's ``init_cfg`` checkpoint (the
    source, before any adaptation) holds them, loaded into a copy."""
    init = supernet.init_cfg if isinstance(supernet.init_cfg, dict) else {}
    if init.get('type') != 'Pretrained' or not init.get('checkpoint'):
        raise ValueError(
            "WeightSearchHook: search.source=True: the backbone's init_cfg "
            f'is {init or None}; expected dict(type=\'Pretrained\', '
            'checkpoint=SOURCE) naming the source to take weights from')
    source = copy.deepcopy(supernet)
    source.load_pretrained(init['checkpoint'], init.get('prefix'))
    return op_states(source)


def fresh_state(module: nn.Module, seed: int) -> Dict[str, Tensor]:
    """A re-initialised copy's state (Kaiming convs, unit BN), seeded."""
    fresh = copy.deepcopy(module)
    gen_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    for m in fresh.modules():
        if isinstance(m, nn.Conv2d):
            kaiming_init(m, mode='fan_out', nonlinearity='relu',
                         distribution='normal')
        elif isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.reset_parameters()
    torch.random.set_rng_state(gen_state)
    return fresh.state_dict()


def source_state(supernet, layer: int, op: str, source: Source,
                 originals: Dict[str, Dict[str, Tensor]],
                 seed: int = 0,
                 source_states: Optional[Dict[str, Dict[str, Tensor]]] = None
                 ) -> Optional[Dict[str, Tensor]]:
    """Weights for ``supernet.layers[layer][op]`` from ``source``, read
    from ``originals`` (the trained weights, untouched by the search) or,
    for kind ``source``, ``source_states`` (the source checkpoint's)."""
    if op == SKIP:
        return None
    dst = supernet.layers[layer][op]
    kind = source['kind']
    if kind == 'inherit':
        return originals[f'{layer}.{op}']
    if kind == 'source':
        return source_states[f'{layer}.{op}']
    if kind == 'fresh':
        return fresh_state(dst, seed + 1000 * layer)
    src_layer, src_op = int(source['layer']), str(source['op'])
    src = copy.deepcopy(supernet.layers[src_layer][src_op])
    src.load_state_dict(originals[f'{src_layer}.{src_op}'])
    if kind == 'layer':
        return {k: v.clone() for k, v in src.state_dict().items()}
    return remap_block(src, dst)


class WeightAssigner:
    """Puts a source assignment's weights into a supernet's chosen ops.

    Snapshots every op's trained weights once (``originals``), so each
    assignment reads the untouched supernet whatever was applied before;
    ``source``: also the source checkpoint's (kind ``source``).
    """

    def __init__(self, supernet, arch: Arch, seed: int = 0,
                 source: bool = False):
        self.supernet = supernet
        self.ops = arch_ops(arch)
        self.seed = seed
        self.originals = op_states(supernet)
        self.source_states = source_op_states(supernet) if source else None

    def apply(self, sources: Sequence[Source]) -> None:
        for i, (op, src) in enumerate(zip(self.ops, sources)):
            state = source_state(self.supernet, i, op, src, self.originals,
                                 self.seed, self.source_states)
            if state is not None:
                self.supernet.layers[i][op].load_state_dict(state)
