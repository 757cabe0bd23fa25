"""Shared fixtures: the demo data generated once (``data/demo``), and
configs from ``configs/`` pointed at it."""
import os
import os.path as osp
import socket
from typing import Any, Dict, Optional

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

import transnas_mm  # noqa: F401
from transnas_mm.datasets import prepare_demo_data

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
# Tools the tests launch import this checkout even while a parallel worker
# runs `mim install -e .` (test_install.py), which drops and rewrites the
# editable install's path entry for a moment.
os.environ['PYTHONPATH'] = os.pathsep.join(
    p for p in (ROOT, os.environ.get('PYTHONPATH', '')) if p)
CONFIGS = osp.join(ROOT, 'configs')
# The demo space (configs/_base_/models/demo_space.py), for library tests.
DEMO_SPACE = dict(stages=[(2, 24, 2), (3, 32, 2), (3, 64, 2), (2, 96, 2)],
                  candidates=['mb_k3e3', 'mb_k3e6', 'mb_k5e3', 'mb_k5e6',
                              'skip'], stem_channels=16)


@pytest.fixture(scope='session')
def demo_root() -> str:
    """The repository's ``data/demo`` (what ``make demo`` and the pipeline
    test's tools/run_demo.py read): generated once, atomically, skipped
    when already built with the same seed and format."""
    return prepare_demo_data(osp.join(ROOT, 'data', 'demo'))


def _retarget(node: Any, demo_root: str, extra: Dict[str, str]) -> Any:
    if isinstance(node, dict):
        return type(node)({k: _retarget(v, demo_root, extra)
                           for k, v in node.items()})
    if isinstance(node, (list, tuple)):
        return type(node)(_retarget(v, demo_root, extra) for v in node)
    if isinstance(node, str):
        if node in extra:
            return extra[node]
        if node.startswith('data/demo/'):
            return osp.join(demo_root, node[len('data/demo/'):])
    return node


def demo_cfg(name: str, demo_root: str, work_dir: str,
             source_checkpoint: Optional[str] = None,
             options: Optional[dict] = None) -> Config:
    """A repo config with data paths under ``demo_root`` and, if given, the
    source checkpoint replaced."""
    cfg = Config.fromfile(osp.join(CONFIGS, name))
    extra = {}
    if source_checkpoint is not None:
        extra['work_dirs/demo/supernet_source.pth'] = source_checkpoint
    cfg = Config(_retarget(cfg.to_dict(), demo_root, extra),
                 filename=cfg.filename)
    cfg.work_dir = work_dir
    cfg.default_hooks.logger.interval = 1
    for key, value in (options or {}).items():
        if '.' in key:
            cfg.merge_from_dict({key: value})
        else:  # top-level keys are replaced, not merged
            cfg[key] = value
    return cfg


@pytest.fixture(scope='session')
def source_ckpt(demo_root, tmp_path_factory) -> str:
    """A briefly trained source super-network checkpoint (real Runner)."""
    work = str(tmp_path_factory.mktemp('source'))
    cfg = demo_cfg('transnas/demo/supernet_source.py', demo_root, work,
                   options={
                       'train_dataloader.dataset.indices': 256,
                       'val_dataloader.dataset.indices': 32,
                       'train_cfg.max_epochs': 3,
                       'train_cfg.val_interval': 3,
                       'model.backbone.warmup_iters': 8,
                       'param_scheduler': [],
                       'default_hooks.checkpoint.interval': 3,
                   })
    runner = Runner.from_cfg(cfg)
    runner.train()
    # SubnetValLoop reported the reference, largest and smallest subnets
    hub = runner.message_hub
    for key in ('val/accuracy/top1', 'val/largest/accuracy/top1',
                'val/smallest/accuracy/top1'):
        assert 0.0 <= hub.get_scalar(key).current() <= 100.0
    return osp.join(work, 'epoch_3.pth')


def free_port() -> int:
    """A free TCP port on the loopback for a torch.distributed master."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def one_line(err, *needles) -> None:
    """The error raised (a ``pytest.raises`` info) is one line holding
    every needle."""
    msg = str(err.value)
    assert '\n' not in msg, msg
    for n in needles:
        assert n in msg, (n, msg)
