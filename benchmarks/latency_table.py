"""Does the latency table predict a network's measured latency?

For the demo space at each input size: measure the per-(layer, op) table
once, then for the reference arch and N random archs compare the table sum
with the whole TransNASNet's measured latency (batch 1, eval, median of
repeats), side by side in one run [goal: within 15%].

    python benchmarks/latency_table.py [--sizes 48 128] [--archs 20]
"""
import argparse
import json
import os.path as osp
import statistics

import numpy as np
import torch
from mmengine.config import Config

import transnas_mm  # noqa: F401
from transnas_mm import SparseSuperNet, TransNASNet
from transnas_mm.space import LatencyTable, measure_latency, reference_arch

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--sizes', type=int, nargs='+', default=[48, 128])
    parser.add_argument('--archs', type=int, default=20)
    parser.add_argument('--repeats', type=int, default=50)
    args = parser.parse_args()
    space = Config.fromfile(osp.join(
        ROOT, 'configs/_base_/models/demo_space.py')).demo_space
    supernet = SparseSuperNet(**space)
    rng = np.random.default_rng(0)
    archs = [reference_arch(supernet.space)] + [
        supernet.sample_arch(rng) for _ in range(args.archs)]
    results = {}
    print(f'torch threads: {torch.get_num_threads()}')
    for size in args.sizes:
        shape = (3, size, size)
        table = LatencyTable.measure(supernet.space, shape,
                                     backbone=supernet,
                                     repeats=args.repeats)
        nets = [TransNASNet(arch).eval() for arch in archs]
        # every network warmed up first, then two rounds; the lower median
        # (first calls of a new network are slower on a shared CPU)
        for net in nets:
            measure_latency(net, shape, 5, 5)
        measured = [min(measure_latency(net, shape, args.repeats)
                        for _ in range(2)) for net in nets]
        rows = [dict(table=table.latency(a), measured=m)
                for a, m in zip(archs, measured)]
        errors = [abs(r['table'] - r['measured']) / r['measured']
                  for r in rows]
        corr = float(np.corrcoef([r['table'] for r in rows],
                                 [r['measured'] for r in rows])[0, 1])
        results[size] = dict(mean_abs_error=statistics.mean(errors),
                             max_abs_error=max(errors), pearson=corr,
                             rows=rows)
        print(f'{size}x{size}: table sum vs measured network latency over '
              f'{len(rows)} archs: mean |error| '
              f'{100 * statistics.mean(errors):.1f}%, max '
              f'{100 * max(errors):.1f}% (goal <= 15%), Pearson {corr:.3f}; '
              f'reference arch {rows[0]["table"]:.2f} ms table vs '
              f'{rows[0]["measured"]:.2f} ms measured')
    print(json.dumps({k: {m: v for m, v in r.items() if m != 'rows'}
                      for k, r in results.items()}))


if __name__ == '__main__':
    main()
