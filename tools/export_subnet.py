"""Supernet checkpoint + arch.json -> subnet.pth (TransNASNet weights, plain
inheritance), without running the search hooks.

    python tools/export_subnet.py SUPERNET.pth ARCH.json OUT.pth
"""
import argparse

from transnas_mm.apis import export_subnet_checkpoint


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('checkpoint', help='supernet (or model) checkpoint')
    parser.add_argument('arch', help='arch.json')
    parser.add_argument('out', help='output subnet.pth')
    parser.add_argument('--prefix', default='backbone.',
                        help="key prefix of the supernet in the checkpoint "
                        "('' for a bare backbone state dict)")
    args = parser.parse_args()
    out = export_subnet_checkpoint(args.checkpoint, args.arch, args.out,
                                   args.prefix or None)
    print(f'wrote {out}')


if __name__ == '__main__':
    main()
