"""Check a config's annotation files before the Runner builds anything, so
a missing or empty file is named with its config field instead of failing
deep inside dataset serialisation."""
import os.path as osp
from typing import Any, Iterator, Sequence, Tuple

from mmengine.config import Config

LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def _datasets(node: Any, field: str) -> Iterator[Tuple[str, dict]]:
    """(field, dataset cfg) of a dataloader's dataset, through wrappers
    (``dataset=dict(type='RepeatDataset', dataset=...)``, ``datasets=[]``)."""
    if not isinstance(node, dict):
        return
    if 'ann_file' in node:
        yield field, node
    if isinstance(node.get('dataset'), dict):
        yield from _datasets(node['dataset'], field + '.dataset')
    for i, sub in enumerate(node.get('datasets') or []):
        yield from _datasets(sub, f'{field}.datasets.{i}')


def loaders_for_training(cfg: Config) -> Tuple[str, ...]:
    """The dataloaders ``tools/train.py`` builds: train and val, and test
    when a ``WeightSearchHook`` scores the held-out split."""
    held_out = any(str(h.get('type', '')).endswith('WeightSearchHook') and
                   h.get('heldout', True)
                   for h in cfg.get('custom_hooks') or [])
    return LOADERS if held_out else LOADERS[:2]


def check_data_files(cfg: Config,
                     loaders: Sequence[str] = LOADERS) -> None:
    """Raise a one-line ``ValueError`` naming the config field and the file
    when an ``ann_file`` of one of ``loaders`` is missing or empty."""
    for loader in loaders:
        node = cfg.get(loader)
        if not isinstance(node, dict):
            continue
        for field, ds in _datasets(node.get('dataset'), f'{loader}.dataset'):
            ann = ds.get('ann_file')
            if not isinstance(ann, str) or not ann or '://' in ann:
                continue
            root = ds.get('data_root') or ''
            path = ann if osp.isabs(ann) or not root else osp.join(root, ann)
            if not osp.isfile(path):
                raise ValueError(f'{field}.ann_file: {path}: file not found;'
                                 f' expected an annotation file')
            with open(path, 'rb') as f:
                empty = not f.read(1 << 16).strip()
            if empty:
                raise ValueError(
                    f'{field}.ann_file: {path}: the file is empty; expected '
                    f'one sample per line (image path and label) or a COCO '
                    f'json')
