"""Train with any mmdet / mmpretrain / transnas_mm config (the config's
``default_scope`` says which), like mmdet's ``tools/train.py``."""
import argparse
import sys

import transnas_mm  # noqa: F401  (registries, checkpoint compat)
from transnas_mm.utils import (check_data_files, latest_checkpoint,
                               setup_env_for_device)
from transnas_mm.utils.data_checks import loaders_for_training
from transnas_mm.utils.run_inputs import check_run_inputs
from transnas_mm.utils.tool_setup import (add_launcher_args, build_runner,
                                          load_tool_config, parse_tool_args)
from transnas_mm.utils.work_dir_lock import (WorkDirBusy, hold_work_dir,
                                             rank_zero)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from the given checkpoint; without a path, from the '
        'latest one in work_dir if there is one (else start as configured, '
        'load_from included)')
    parser.add_argument('--amp', action='store_true',
                        help='enable automatic mixed precision training')
    add_launcher_args(parser)
    return parse_tool_args(parser)


def main() -> None:
    args = parse_args()
    cfg = load_tool_config(args)
    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.loss_scale = 'dynamic'

    if args.resume == 'auto' or (cfg.get('resume') is True and
                                 not cfg.get('load_from')):
        # Unlike MMEngine's resume=True with load_from=None, keep load_from
        # (and say nothing) when there is nothing to resume yet: a first run
        # of a finetune config must start from its searched weights.
        latest = latest_checkpoint(cfg.work_dir)
        cfg.resume = latest is not None
        if latest is not None:
            cfg.load_from = latest
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume

    train_cfg = cfg.get('train_cfg') or {}
    if (train_cfg.get('max_epochs', None) == 0 or
            train_cfg.get('max_iters', None) == 0) and \
            cfg.get('param_scheduler'):
        # max_epochs=0: search at once. No training, so no LR schedule (an
        # empty schedule would fail MMEngine's begin < end check).
        print('train_cfg: 0 epochs/iterations: param_scheduler dropped '
              '(no training; the search hooks run at once)')
        cfg.param_scheduler = None

    try:
        check_data_files(cfg, loaders_for_training(cfg))
        hold_work_dir(cfg.work_dir)  # one live run per work_dir
        if rank_zero():
            check_run_inputs(cfg, resuming=bool(cfg.get('resume')))
    except (ValueError, WorkDirBusy) as e:  # one line, nothing built yet
        sys.exit(f'train.py: {args.config}: {e}')
    setup_env_for_device(cfg)
    build_runner(cfg).train()


if __name__ == '__main__':
    main()
