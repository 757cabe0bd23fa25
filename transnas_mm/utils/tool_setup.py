"""What ``tools/train.py`` and ``tools/test.py`` share, as mmdet's tools
do: the launcher arguments, the config with its overrides and work_dir,
and the runner it builds."""
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from .config_options import hooks_by_type


def add_launcher_args(parser: argparse.ArgumentParser) -> None:
    """``--work-dir``, ``--cfg-options``, ``--launcher``, ``--local-rank``."""
    parser.add_argument('--work-dir', help='the dir to save logs and outputs')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings in the config, xxx=yyy format')
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def parse_tool_args(parser: argparse.ArgumentParser) -> argparse.Namespace:
    """Parse; torch.distributed.launch's ``--local-rank`` becomes
    ``LOCAL_RANK`` where the launcher did not set it."""
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def load_tool_config(args: argparse.Namespace) -> Config:
    """The config with ``--cfg-options`` (hooks addressed by type) and its
    work_dir: ``--work-dir``, else the config's, else
    ``work_dirs/<config name>``."""
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(hooks_by_type(cfg, args.cfg_options))
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    return cfg


def build_runner(cfg: Config) -> Runner:
    """``Runner.from_cfg``, or the config's own ``runner_type``."""
    if 'runner_type' not in cfg:
        return Runner.from_cfg(cfg)
    return RUNNERS.build(cfg)
