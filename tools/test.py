"""Evaluate a checkpoint with any mmdet / mmpretrain / transnas_mm config,
like mmdet's ``tools/test.py``."""
import argparse
import os
import os.path as osp
import sys

from mmengine.config import Config, DictAction
from mmengine.evaluator import DumpResults
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

import transnas_mm  # noqa: F401  (registries, checkpoint compat)
from transnas_mm.utils import (check_data_files, hooks_by_type,
                               setup_env_for_device)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (and eval) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs and metrics')
    parser.add_argument(
        '--out', help='dump predictions to a pickle file (mmengine DumpResults)')
    parser.add_argument(
        '--out-metrics', help='also write the metrics to this JSON file')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings in the config, xxx=yyy format')
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main() -> None:
    args = parse_args()
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(hooks_by_type(cfg, args.cfg_options))
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    try:
        check_data_files(cfg, ['test_dataloader'])
    except ValueError as e:  # bad data: one line, before anything is built
        sys.exit(f'test.py: {args.config}: {e}')
    setup_env_for_device(cfg)

    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg \
        else RUNNERS.build(cfg)
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
