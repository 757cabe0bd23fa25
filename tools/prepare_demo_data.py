"""Generate the bundled demo data (seconds, deterministic, no download)."""
import argparse

from transnas_mm.datasets import prepare_demo_data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--out', default='data/demo', help='output folder')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--force', action='store_true',
                        help='rebuild even if it already exists')
    args = parser.parse_args()
    out = prepare_demo_data(args.out, seed=args.seed, force=args.force)
    print(f'demo data ready in {out}')


if __name__ == '__main__':
    main()
