"""Project what a search config's target run will cost, before launching it.

    python tools/analysis/search_cost.py CONFIG [--gpus N] \
        [--train-size N --val-size N --test-size N] [--cfg-options K=V ...]

Times each unit of work (an adaptation step, a proxy step, a calibration
batch, an evaluated image) a few times on this machine, on the config's
own model, input size and data, and multiplies by what the config asks
(dataset sizes, epochs, candidates per generation, generations, proxy
steps, calibration batches, evaluation images): per step, the projected
seconds and the ratio to one finetune of the same config. The sizes
project a dataset that is not here (COCO 2017, CUB-200) from a stand-in
of the same kind (``--cfg-options`` pointing the data at it); the unit
times are this machine's (one process: SyncBN is timed as BN).
"""
import argparse
import json
import os
import os.path as osp
import sys
from typing import Dict, List

from mmengine.config import Config, DictAction


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--gpus', type=int, default=1,
                        help='project for N data-parallel GPUs (the '
                        "config's batch size per GPU)")
    for split in ('train', 'val', 'test'):
        parser.add_argument(f'--{split}-size', type=int,
                            help=f"the {split} split's size (default: the "
                            f"config's {split}_dataloader dataset)")
    parser.add_argument('--repeats', type=int, default=10,
                        help='timed calls per unit, each on another random '
                        'sub-network (their mean; after one warm-up)')
    parser.add_argument('--measured', metavar='WORK_DIR', nargs='+',
                        help="finished runs' work dirs of this config (e.g. "
                        'its seeds): print each step beside the mean of '
                        'what they recorded (search/timing.json)')
    parser.add_argument('--json', help='also write the projection here')
    parser.add_argument('--units', metavar='JSON',
                        help="an earlier projection's --json on this "
                        "machine: its seconds per unit, not timed again "
                        '(to compare settings of the same model and data)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        default={})
    args = parser.parse_args()
    for name in ('gpus', 'repeats', 'train_size', 'val_size', 'test_size'):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f'--{name.replace("_", "-")}: expected >= 1, got '
                         f'{value}')
    return args


def split_sizes(cfg: Config, args: argparse.Namespace) -> dict:
    from transnas_mm.apis.search_cost import dataset_sizes
    found = dataset_sizes(cfg)
    sizes = {}
    for split, size in found.items():
        given = getattr(args, f'{split}_size')
        if given is None and size is None:
            sys.exit(f'{args.config}: {split}_dataloader.dataset: cannot be '
                     f'read here; expected its files, or --{split}-size N')
        sizes[split] = given if given is not None else size
    return sizes


def measured_parts(work_dirs: List[str]) -> Dict[str, float]:
    """Per step, the mean of what finished runs recorded
    (``search/timing.json``: adaptation, arch search, weight search)."""
    from transnas_mm.search.core.timing import read_timing
    names = dict(adapt='adaptation', arch='arch search',
                 weights='weight search')
    seen: Dict[str, List[float]] = {}
    for work_dir in work_dirs:
        parts = read_timing(osp.join(work_dir, 'search'))
        if not parts:
            sys.exit(f'--measured {work_dir}: no search/timing.json there; '
                     f'expected the work dir of a finished search run')
        for part, seconds in parts.items():
            if part in names:
                seen.setdefault(names[part], []).append(seconds)
    return {step: sum(v) / len(v) for step, v in seen.items()}


def print_measured(rows: list, work_dirs: List[str]) -> None:
    measured = measured_parts(work_dirs)
    print(f'\n| step | projected | measured (mean of {len(work_dirs)}) | '
          f'projected / measured |\n|---|---|---|---|')
    for r in rows:
        seen = measured.get(r['step'])
        if seen:
            r['measured'] = seen
            print(f"| {r['step']} | {r['seconds']:.0f} s | {seen:.0f} s | "
                  f"{r['seconds'] / seen:.2f} |")


def read_units(path: str) -> Dict[str, float]:
    """``unit_seconds`` of an earlier ``--json``."""
    from transnas_mm.apis.search_cost import UNITS
    try:
        with open(path) as f:
            units = json.load(f)['unit_seconds']
    except (OSError, ValueError, KeyError, TypeError) as e:
        sys.exit(f'--units {path}: {e}; expected the --json file of an '
                 f'earlier projection')
    missing = [u for u in UNITS if u not in units]
    if missing:
        sys.exit(f'--units {path}: unit_seconds.{missing[0]}: missing; '
                 f'expected a projection made by this version')
    return units


def main() -> None:
    args = parse_args()
    import torch

    from transnas_mm.apis.search_cost import (format_projection, project,
                                              step_counts)
    from transnas_mm.apis.unit_timing import measure_units
    from transnas_mm.space import space_of_backbone
    from transnas_mm.utils.atomic_io import atomic_write_json
    from transnas_mm.utils.config_options import hooks_by_type
    if not osp.isfile(args.config):
        sys.exit(f'{args.config}: file not found; expected a search config')
    cfg = Config.fromfile(args.config)
    cfg.merge_from_dict(hooks_by_type(cfg, args.cfg_options))
    sizes = split_sizes(cfg, args)
    counts = step_counts(cfg, sizes, space_of_backbone(cfg.model.backbone),
                         args.gpus)
    units = read_units(args.units) if args.units else \
        measure_units(cfg, counts, args.repeats)
    rows = project(counts, units)
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    print(format_projection(rows, units, args.gpus, device))
    if args.measured:
        print_measured(rows, args.measured)
    if args.json:
        os.makedirs(osp.dirname(osp.abspath(args.json)), exist_ok=True)
        atomic_write_json(args.json, dict(
            config=args.config, gpus=args.gpus, sizes=sizes,
            unit_seconds=units, steps=rows))

if __name__ == '__main__':
    main()
