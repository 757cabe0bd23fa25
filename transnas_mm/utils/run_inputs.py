"""Refuse a resume whose source checkpoint changed since the work_dir
started: MMEngine's resume loads the adapted weights and never reads
``init_cfg`` again, so the run would go on from the old source without a
word. The first run records each ``init_cfg`` checkpoint's digest in
``work_dir/run_inputs.json``; a resume compares."""
import os.path as osp
from typing import Any, Dict, Iterator, Tuple

from mmengine.config import Config

from .file_digest import file_digest
from .atomic_io import atomic_write_json, read_json

INPUTS_FILE = 'run_inputs.json'


def _checkpoints(node: Any, field: str) -> Iterator[Tuple[str, str]]:
    """(config field, path) of every ``init_cfg`` checkpoint in a model."""
    if isinstance(node, dict):
        init = node.get('init_cfg')
        if isinstance(init, dict) and isinstance(init.get('checkpoint'),
                                                 str):
            yield f'{field}.init_cfg.checkpoint', init['checkpoint']
        for key, value in node.items():
            if key != 'init_cfg':
                yield from _checkpoints(value, f'{field}.{key}')
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from _checkpoints(value, f'{field}.{i}')


def run_inputs(cfg: Config) -> Dict[str, Dict[str, str]]:
    """{config field: {path, sha256}} of the local source checkpoints."""
    return {field: dict(path=osp.abspath(path), sha256=file_digest(path))
            for field, path in _checkpoints(cfg.get('model'), 'model')
            if osp.isfile(path)}


def check_run_inputs(cfg: Config, resuming: bool) -> None:
    """On a resume, a one-line ``ValueError`` naming the field and file
    whose contents changed; then record this run's inputs."""
    path = osp.join(cfg.work_dir, INPUTS_FILE)
    now = run_inputs(cfg)
    if resuming and osp.isfile(path):
        saved = read_json(path)
        for field, was in saved.items():
            new = now.get(field)
            if isinstance(was, dict) and new is not None and \
                    was.get('sha256') != new['sha256']:
                raise ValueError(
                    f'{field}: {new["path"]}: not the checkpoint this '
                    f'work_dir started from (sha256 {was.get("sha256")} at '
                    f'{was.get("path")}, now {new["sha256"]}); resuming '
                    f'would go on from weights adapted from the old one: '
                    f'put it back, or start in another work_dir')
        now = dict(saved, **now)
    atomic_write_json(path, now)
