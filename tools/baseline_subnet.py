"""Write a baseline row's network for a target: ``arch.json`` and
``subnet_model.pth`` (plain inheritance from an adapted supernet
checkpoint), plus its FLOPs/params.

    python tools/baseline_subnet.py SEARCH_CONFIG ADAPTED.pth OUT_DIR \
        --kind hand|random|searched [--arch ARCH.json] [--seed N]

--backbone-only: keep only the backbone weights (e.g. from the *source*
checkpoint, whose head belongs to the source task: the classic finetune
baseline).

hand: the fixed hand-designed chain (all ``mb_k3e6``, no extra edges);
random: a random arch of the space (within the ArchSearchHook's
flops/params ranges, if the config sets any); searched: ``--arch``.
"""
import argparse
import json
import os
import os.path as osp

import numpy as np
from mmengine.config import Config

from transnas_mm.apis import export_model_checkpoint
from transnas_mm.search import sample_arch_within
from transnas_mm.space import (CostTable, load_arch, reference_arch,
                               save_arch, space_of_backbone)
from transnas_mm.utils import find_hook
from transnas_mm.utils.atomic_io import atomic_write_json


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('out_dir')
    parser.add_argument('--kind', choices=['hand', 'random', 'searched'],
                        required=True)
    parser.add_argument('--arch')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--backbone-only', action='store_true',
                        help='write backbone weights only (no neck/head)')
    args = parser.parse_args()
    cfg = Config.fromfile(args.config)
    bb = cfg.model.backbone
    space = space_of_backbone(bb)
    hook = find_hook(cfg, 'ArchSearchHook') or {}
    limits = hook.get('constraints') or {}
    table = CostTable.measure(space, hook.get('input_shape', (3, 224, 224)))
    if args.kind == 'hand':
        arch = reference_arch(space)
    elif args.kind == 'searched':
        arch = load_arch(args.arch, space)
    else:
        arch = sample_arch_within(
            space, table, np.random.default_rng(args.seed),
            limits.get('flops'), limits.get('params'))
    os.makedirs(args.out_dir, exist_ok=True)
    arch_path = osp.join(args.out_dir, 'arch.json')
    save_arch(arch, arch_path)
    export_model_checkpoint(args.checkpoint, arch,
                            osp.join(args.out_dir, 'subnet_model.pth'),
                            backbone_only=args.backbone_only)
    flops, params = table.cost(arch)
    atomic_write_json(osp.join(args.out_dir, 'cost.json'),
                      dict(flops=flops, params=params, kind=args.kind,
                           seed=args.seed))
    print(json.dumps(dict(arch=arch_path, flops=flops, params=params)))


if __name__ == '__main__':
    main()
