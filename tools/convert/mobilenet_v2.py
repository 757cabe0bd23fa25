"""Convert a pretrained MobileNetV2 1.0 checkpoint (mmpretrain's, e.g. from
``mim download mmpretrain --config mobilenet-v2_8xb32_in1k``, or
torchvision's ``mobilenet_v2`` state dict) for transnas_mm::

    # the source super-network, started from it (reference ops exact,
    # every other op seeded by remap): train it with a short schedule
    python tools/convert/mobilenet_v2.py MBV2.pth supernet_init.pth --to supernet
    # the hand chain as a TransNASNet (arch='mobilenet_v2'): a drop-in
    # backbone with the same features
    python tools/convert/mobilenet_v2.py MBV2.pth mbv2_transnas.pth --to transnas

The same conversion runs when ``init_cfg=dict(type='Pretrained',
checkpoint=MBV2.pth)`` is given to ``SparseSuperNet(preset='mobilenet_v2')``
or ``TransNASNet(arch='mobilenet_v2')``: this tool only saves its result.
"""
import argparse
import sys

from transnas_mm import SparseSuperNet, TransNASNet
from transnas_mm.utils.atomic_io import atomic_torch_save


def convert(src: str, out: str, to: str) -> str:
    """Write ``out``: a ``state_dict`` checkpoint of the chosen backbone."""
    net = SparseSuperNet(preset='mobilenet_v2') if to == 'supernet' else \
        TransNASNet(arch='mobilenet_v2')
    net.load_pretrained(src)
    atomic_torch_save(dict(state_dict=net.state_dict(), meta=dict(
        converted_from=src, backbone=type(net).__name__,
        preset='mobilenet_v2')), out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='mmpretrain or torchvision MobileNetV2 '
                        'checkpoint (.pth)')
    parser.add_argument('out', help='output checkpoint')
    parser.add_argument('--to', choices=['supernet', 'transnas'],
                        default='supernet')
    args = parser.parse_args()
    try:
        print(convert(args.src, args.out, args.to))
    except (ValueError, FileNotFoundError) as e:
        sys.exit(f'convert: {e}')


if __name__ == '__main__':
    main()
