"""Check a config's data before the Runner builds anything: a missing or
empty annotation file, labels outside the classes, a class list that is
not the one the labels follow, bad boxes, a split with nothing in it.
Each is one line naming the config field, the file and what was expected,
instead of a failure deep inside dataset serialisation, or a run that
trains and reports on wrong labels."""
import os.path as osp
from typing import Any, Iterator, List, Optional, Sequence, Tuple

from mmengine.config import Config

from .coco_checks import check_coco
from .label_checks import (LIST_TYPES, ann_labels, check_class_count,
                           check_label_range, class_folders, limits)
from .split_overlap import dataset_images, overlap_message, shared_images

LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
# Where mmpretrain / mmdet models keep their number of classes.
NUM_CLASSES_AT = (('head',), ('bbox_head',), ('roi_head', 'bbox_head'))


def _datasets(node: Any, field: str) -> Iterator[Tuple[str, dict]]:
    """(field, dataset cfg) of a dataloader's dataset, through wrappers
    (``dataset=dict(type='RepeatDataset', dataset=...)``, ``datasets=[]``)."""
    if not isinstance(node, dict):
        return
    if 'ann_file' in node or 'data_prefix' in node or 'data_root' in node:
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


def model_num_classes(cfg: Config) -> Optional[Tuple[str, int]]:
    """('model.head.num_classes', n) of a classifier or detector config."""
    for keys in NUM_CLASSES_AT:
        node = cfg.get('model')
        for key in keys:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict) and isinstance(node.get('num_classes'),
                                                 int):
            return 'model.' + '.'.join(keys) + '.num_classes', \
                node['num_classes']
    return None


def _path(ds: dict, key: str) -> Optional[str]:
    value = ds.get(key)
    if isinstance(value, dict):  # mmdet: img=, mmpretrain: img_path=
        value = value.get('img', value.get('img_path'))
    if not isinstance(value, str) or not value or '://' in value:
        return None
    root = ds.get('data_root') or ''
    return value if osp.isabs(value) or not root else osp.join(root, value)


def _check_ann_file(field: str, path: str) -> None:
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


def _check_labels(field: str, ds: dict, ann: Optional[str],
                  num_classes: Optional[Tuple[str, int]]) -> List[str]:
    """Labels of the dataset types we know against the class bound; the
    warnings of what is reported but not refused."""
    kind = str(ds.get('type', '')).split('.')[-1]
    classes = (ds.get('metainfo') or {}).get('classes')
    if ann is not None and ann.endswith('.json'):
        if 'Coco' in kind or kind == '':
            check_class_count(field, classes, num_classes)
            return check_coco(field, ann, classes, ds.get('indices'),
                              by_name=kind == 'NamedCocoDataset')
        return []
    if kind not in LIST_TYPES + ('CUB', ):
        return []
    check_class_count(field, classes, num_classes)
    bound = limits(classes, num_classes)
    if kind == 'CUB':
        root = ds.get('data_root') or ''
        labels_file = osp.join(root, 'image_class_labels.txt')
        if bound is not None and osp.isfile(labels_file):
            # "<image id> <class id>" lines, class ids from 1
            pairs = [(n, lab - 1) for n, lab in
                     ann_labels(labels_file, field)]
            check_label_range(field, labels_file + ' (class ids from 1)',
                              pairs, *bound)
        return []
    if ann is not None:
        if bound is not None:
            check_label_range(field + '.ann_file', ann,
                              ann_labels(ann, field + '.ann_file'), *bound)
        return []
    folder = _path(ds, 'data_prefix')
    if folder is not None and osp.isdir(folder):
        names = class_folders(folder, field)
        if bound is not None and len(names) > bound[0]:
            raise ValueError(f'{field}.data_prefix: {folder}: {len(names)} '
                             f'class folders, more than {bound[1]}; expected '
                             f'at most that many')
    return []


def check_data_files(cfg: Config,
                     loaders: Sequence[str] = LOADERS) -> List[str]:
    """Raise a one-line ``ValueError`` naming the config field and the file
    when an ``ann_file`` of one of ``loaders`` is missing or empty, or its
    labels do not fit the classes (see the module docstring). Returns the
    warnings (logged too) of what is reported but not refused."""
    num_classes = model_num_classes(cfg)
    warnings: List[str] = []
    for loader in loaders:
        for field, ds in _loader_datasets(cfg, loader):
            ann = _path(ds, 'ann_file')
            if ann is not None:
                _check_ann_file(field, ann)
            warnings += _check_labels(field, ds, ann, num_classes)
    if LOADERS[0] in loaders:
        _check_disjoint(cfg, [lo for lo in loaders if lo != LOADERS[0]])
    return warnings


def _loader_datasets(cfg: Config, loader: str) -> List[Tuple[str, dict]]:
    node = cfg.get(loader)
    if not isinstance(node, dict):
        return []
    return list(_datasets(node.get('dataset'), f'{loader}.dataset'))


def _check_disjoint(cfg: Config, others: Sequence[str]) -> None:
    """No image of another split is a training image (split_overlap)."""
    scope = cfg.get('default_scope')
    train: List[str] = []
    for _, ds in _loader_datasets(cfg, LOADERS[0]):
        train += dataset_images(ds, scope) or []
    if not train:
        return
    train_field = f'{LOADERS[0]}.dataset'
    for loader in others:
        for field, ds in _loader_datasets(cfg, loader):
            images = dataset_images(ds, scope)
            shared = shared_images(train, images or [])
            if shared:
                raise ValueError(overlap_message(field, train_field,
                                                 len(images), shared))
