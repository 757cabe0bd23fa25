"""Classification targets: image folders (one sub-folder per class) or
``path label`` ann files, mmpretrain ``CustomDataset``."""
import os
import os.path as osp
from typing import Dict, List, Optional, Tuple

from mmengine.config import Config

from ...utils.label_checks import IMAGE_EXTS, ann_labels
from .base import InputError, TargetKind, register_kind


def folder_samples(path: str) -> Tuple[List[str], int]:
    """(class names, number of images) of an image folder with one
    sub-folder per class."""
    classes = sorted(d for d in os.listdir(path)
                     if osp.isdir(osp.join(path, d)))
    if not classes:
        raise InputError(f'{path}: no class sub-folders; expected '
                         f'<class>/<image> folders or an ann file')
    count = sum(1 for c in classes for _, _, files in
                os.walk(osp.join(path, c)) for f in files
                if f.lower().endswith(IMAGE_EXTS))
    return classes, count


def ann_samples(path: str, arg: str) -> Tuple[int, int]:
    """(number of samples, largest label + 1) of a ``path label`` file."""
    try:
        labels = [lab for _, lab in ann_labels(path, arg)]
    except ValueError as e:
        raise InputError(str(e)) from None
    if not labels:
        raise InputError(f'{path}: the file is empty; expected one '
                         f'"<image path> <label>" line per image ({arg})')
    if min(labels) < 0:
        raise InputError(f'{path}: negative label {min(labels)} ({arg})')
    return len(labels), max(labels) + 1


def cls_dataset(path: str, img: Optional[str], classes, pipeline,
                arg: str) -> Tuple[dict, int, int]:
    """(dataset cfg, samples, classes seen) of a folder or an ann file."""
    if osp.isdir(path):
        names, count = folder_samples(path)
        if classes is not None and list(names) != list(classes):
            raise InputError(f'{path}: class folders {names} differ from '
                             f'the training classes {list(classes)} ({arg})')
        return (dict(type='CustomDataset', data_root='',
                     data_prefix=osp.abspath(path), with_label=True,
                     pipeline=pipeline), count, len(names))
    if not osp.isfile(path):
        raise InputError(f'{arg}: {path}: not found; expected an image '
                         f'folder or an ann file')
    count, seen = ann_samples(path, arg)
    return (dict(type='CustomDataset', data_root='',
                 ann_file=osp.abspath(path),
                 data_prefix=osp.abspath(img or osp.dirname(path)),
                 with_label=True, pipeline=pipeline), count, seen)


@register_kind
class Classification(TargetKind):
    name = 'cls'
    template = 'configs/transnas/demo/cub_search.py'
    quick_skip = ('score_thr', )  # ImageClassifier has no test_cfg

    def datasets(self, paths: Dict[str, Optional[str]],
                 imgs: Dict[str, Optional[str]], pipes: Dict[str, list],
                 classes_file: Optional[str]
                 ) -> Tuple[Dict[str, dict], Dict[str, int], List[str]]:
        datasets, counts, classes = {}, {}, None
        if osp.isdir(paths['train']):
            classes, _ = folder_samples(paths['train'])
        for s, path in paths.items():
            if path is None:
                continue
            datasets[s], counts[s], seen = cls_dataset(
                path, imgs[s], classes, pipes[s], f'--{s}')
            if s == 'train' and classes is None:
                classes = [str(i) for i in range(seen)]
        if classes_file:
            names = [ln.strip() for ln in open(classes_file) if ln.strip()]
            if len(names) < len(classes):
                raise InputError(f'--classes: {classes_file}: {len(names)} '
                                 f'names, labels need {len(classes)}')
            classes = names
        for ds in datasets.values():
            ds['metainfo'] = dict(classes=tuple(classes))
        return datasets, counts, classes

    def set_classes(self, cfg: Config, classes: List[str]) -> None:
        cfg.model.head.num_classes = len(classes)
        if 'num_classes' in cfg.get('data_preprocessor', {}):
            cfg.data_preprocessor.num_classes = len(classes)
