"""A pretrained network as a list of conv units (one conv weight and its
BatchNorm's tensors, named as ours are), grouped as our backbones group
them: [stem], one list per block, [final conv]. Each supported network
only says how to read its units; the copy into a hand chain, with every
shape checked, is shared."""
import re
from typing import Dict, List

from torch import Tensor

BN_KEYS = ('weight', 'bias', 'running_mean', 'running_var',
           'num_batches_tracked')
Unit = Dict[str, Tensor]
Units = List[List[Unit]]


def read_unit(state: Dict[str, Tensor], conv: str, bn: str) -> Unit:
    """The unit of conv weight ``conv`` and BN prefix ``bn``."""
    unit = {'conv.weight': state[conv]}
    for key in BN_KEYS:
        if f'{bn}.{key}' in state:
            unit[f'bn.{key}'] = state[f'{bn}.{key}']
    return unit


def our_units(template: Dict[str, Tensor], num_layers: int
              ) -> List[List[str]]:
    """The key prefix of each of our conv units, in the same order:
    stem, each layer's ``conv.j``, the final conv."""
    out = [['stem']]
    for i in range(num_layers):
        js = sorted({int(m.group(1)) for m in (
            re.match(rf'layers\.{i}\.conv\.(\d+)\.conv\.weight$', k)
            for k in template) if m})
        out.append([f'layers.{i}.conv.{j}' for j in js])
    if 'final_conv.conv.weight' in template:
        out.append(['final_conv'])
    return out


def fill_units(theirs: Units, template: Dict[str, Tensor], num_layers: int,
               what: str, source: str) -> Dict[str, Tensor]:
    """``template`` with every unit replaced by the network's, in order.
    A network of another depth or width is refused in one line."""
    ours = our_units(template, num_layers)
    if len(theirs) == len(ours) + 1 and ours[-1] != ['final_conv']:
        theirs = theirs[:-1]  # a backbone without the final 1x1 conv
    if [len(u) for u in theirs] != [len(u) for u in ours]:
        raise ValueError(
            f'{source}: {what} with {len(theirs) - 2} blocks '
            f'({[len(u) for u in theirs]} convs per unit); expected '
            f'{len(ours) - 2} blocks ({[len(u) for u in ours]})')
    out = {k: v.clone() for k, v in template.items()}
    for their_units, our_prefixes in zip(theirs, ours):
        for unit, prefix in zip(their_units, our_prefixes):
            for key, value in unit.items():
                full = f'{prefix}.{key}'
                if full not in out:
                    continue
                if value.shape != out[full].shape:
                    raise ValueError(
                        f'{source}: {what} tensor for {full}: shape '
                        f'{tuple(value.shape)}, expected '
                        f'{tuple(out[full].shape)} (a network of another '
                        f'width?)')
                out[full] = value.detach().clone().to(out[full].dtype)
    return out
