"""Does a source transfer to a target? The hand chain finetuned from each
given source checkpoint vs trained from random init, with the target's own
row finetune budget, scored on the target's **search split** (val): the
split a source may be chosen on. The held-out split is never read.

    python tools/analysis/source_transfer.py configs/transnas/demo/photo_search.py \
        work_dirs/demo/supernet_source.pth work_dirs/demo/static_source/epoch_18.pth \
        --seeds 3 --out work_dirs/source_transfer

``--random-archs K``: also K random archs of the space (the same K for
every source), each finetuned from each source: how well a source serves
the archs a search will look at, not only its hand chain (two sources made
from one pretrained network share their hand chain).

Prints one line per source (mean ± std over seeds, and the gain over
scratch) and writes ``source_transfer.json`` under ``--out``.
"""
import argparse
import os
import os.path as osp
import statistics
from typing import Dict, List, Optional, Tuple

import numpy as np
from mmengine.config import Config

from transnas_mm.apis import export_model_checkpoint, finetune_config
from transnas_mm.space import (Arch, reference_arch, sample_arch, save_arch,
                               space_of_backbone)
from transnas_mm.utils import find_hook
from transnas_mm.utils.atomic_io import atomic_write_json, read_json


def test_archs(cfg: Config, random_archs: int) -> Dict[str, Arch]:
    """'hand': the hand chain; 'random{k}': the k-th random arch (seed k)."""
    space = space_of_backbone(cfg.model.backbone)
    archs = dict(hand=reference_arch(space))
    for k in range(random_archs):
        archs[f'random{k}'] = sample_arch(space, np.random.default_rng(k))
    return archs


def hand_network(cfg: Config, source: Optional[str],
                 out: str, arch: Optional[Arch] = None) -> Tuple[str, str]:
    """The hand chain's (or ``arch``'s) arch.json (+ its backbone weights
    from ``source``, if given) under ``out``: (arch path, weights path or
    '')."""
    if arch is None:
        arch = reference_arch(space_of_backbone(cfg.model.backbone))
    os.makedirs(out, exist_ok=True)
    arch_file = osp.join(out, 'arch.json')
    save_arch(arch, arch_file)
    if source is None:
        return arch_file, ''
    weights = osp.join(out, 'subnet_model.pth')
    export_model_checkpoint(source, arch, weights, backbone_only=True)
    return arch_file, weights


def finetune_on_search_split(cfg: Config, arch_file: str, weights: str,
                             seed: int, work_dir: str) -> float:
    """Train the row finetune budget, return the metric on the val split
    (kept in ``work_dir/search_split.json``: a rerun skips it)."""
    done = osp.join(work_dir, 'search_split.json')
    if osp.isfile(done):
        return read_json(done)['metric']
    from mmengine.runner import Runner
    hook = find_hook(cfg, 'WeightSearchHook') or {}
    ft = finetune_config(cfg, arch_file, weights or None,
                         cfg.model.backbone.get('out_indices', (3, )),
                         hook.get('finetune', {}))
    ft.work_dir = work_dir
    ft.randomness = dict(seed=seed)
    ft.default_hooks.checkpoint = dict(type='CheckpointHook', interval=-1)
    runner = Runner.from_cfg(ft)
    runner.train()
    metrics = runner.val_loop.run()
    key = find_hook(cfg, 'ArchSearchHook')['metric_key']
    atomic_write_json(done, dict(metric=float(metrics[key]), key=key))
    return float(metrics[key])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='the target search config')
    parser.add_argument('sources', nargs='*', help='source checkpoints '
                        '(super-network or static hand chain)')
    parser.add_argument('--seeds', type=int, default=2)
    parser.add_argument('--random-archs', type=int, default=0, metavar='K',
                        help='also K random archs of the space per source')
    parser.add_argument('--out', default='work_dirs/source_transfer')
    args = parser.parse_args()
    for path in [args.config] + args.sources:
        if not osp.isfile(path):
            parser.error(f'{path}: file not found')
    if args.seeds < 1 or args.random_archs < 0:
        parser.error('--seeds: expected >= 1; --random-archs: >= 0')
    cfg = Config.fromfile(args.config)
    results: Dict[str, List[float]] = {}
    for name, src in [('scratch', None)] + [(s, s) for s in args.sources]:
        # the parent folder and the file name: epoch_18 of which run
        tag = 'scratch' if src is None else osp.basename(osp.dirname(
            osp.abspath(src))) + '_' + osp.splitext(osp.basename(src))[0]
        archs = test_archs(cfg, args.random_archs if src else 0)
        for arch_name, arch in archs.items():
            row = name if arch_name == 'hand' else f'{name} [{arch_name}]'
            folder = osp.join(args.out, tag) if arch_name == 'hand' else \
                osp.join(args.out, tag, arch_name)
            arch_file, weights = hand_network(cfg, src, folder, arch)
            results[row] = [finetune_on_search_split(
                cfg, arch_file, weights, s, osp.join(folder, f'seed{s}'))
                for s in range(args.seeds)]
    base = statistics.mean(results['scratch'])
    lines = []
    for name, vals in results.items():
        sd = statistics.stdev(vals) if len(vals) > 1 else 0.0
        mean = statistics.mean(vals)
        lines.append(dict(source=name, values=vals, mean=mean, std=sd,
                          gain_over_scratch=mean - base))
        print(f'{name}: {mean:.2f} ± {sd:.2f} (search split, '
              f'{len(vals)} seeds; {mean - base:+.2f} vs scratch)')
    atomic_write_json(osp.join(args.out, 'source_transfer.json'),
                      dict(config=osp.abspath(args.config), split='val',
                           rows=lines))


if __name__ == '__main__':
    main()
