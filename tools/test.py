"""Evaluate a checkpoint with any mmdet / mmpretrain / transnas_mm config,
like mmdet's ``tools/test.py``."""
import argparse
import sys

from mmengine.evaluator import DumpResults

import transnas_mm  # noqa: F401  (registries, checkpoint compat)
from transnas_mm.utils import check_data_files, setup_env_for_device
from transnas_mm.utils.tool_setup import (add_launcher_args, build_runner,
                                          load_tool_config, parse_tool_args)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (and eval) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--out', help='dump predictions to a pickle file (mmengine DumpResults)')
    parser.add_argument(
        '--out-metrics', help='also write the metrics to this JSON file')
    parser.add_argument(
        '--split', choices=['test', 'val'], default='test',
        help="val: evaluate on the config's val_dataloader/val_evaluator "
        '(the search split) instead of its test split')
    add_launcher_args(parser)
    return parse_tool_args(parser)


def main() -> None:
    args = parse_args()
    cfg = load_tool_config(args)
    cfg.load_from = args.checkpoint
    if args.split == 'val':
        cfg.test_dataloader = cfg.val_dataloader
        cfg.test_evaluator = cfg.val_evaluator
    try:
        check_data_files(cfg, ['test_dataloader'])
    except ValueError as e:  # bad data: one line, before anything is built
        sys.exit(f'test.py: {args.config}: {e}')
    setup_env_for_device(cfg)

    runner = build_runner(cfg)
    if args.out is not None:
        assert args.out.endswith(('.pkl', '.pickle')), \
            f'--out {args.out}: expected a .pkl or .pickle file'
        runner.test_evaluator.metrics.append(
            DumpResults(out_file_path=args.out))
    metrics = runner.test()
    if args.out_metrics:
        from transnas_mm.utils.atomic_io import atomic_write_json
        atomic_write_json(args.out_metrics, {
            k: float(v) for k, v in metrics.items()
            if isinstance(v, (int, float))})


if __name__ == '__main__':
    main()
