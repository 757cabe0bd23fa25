"""A ready, self-contained search config for a user's own dataset, from a
search template: classes, ``num_classes``, image size, the hooks'
``input_shape``, the source checkpoint and a seeded search/held-out split
filled in, the data checked before anything is written. The CLI is
``tools/new_target.py`` (its ``--help`` shows the workflow)."""
import argparse
import inspect
import json
import os
import os.path as osp
from typing import List, Optional, Tuple

import numpy as np
from mmengine.config import Config
from mmengine.runner import Runner

from ..utils.atomic_io import atomic_write_text
from ..utils.config_options import is_search_hook
from ..utils.data_checks import check_data_files
from ..utils.label_checks import IMAGE_EXTS, ann_labels

# the repository root of an editable install (where configs/ lives)
ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TEMPLATES = dict(cls='configs/transnas/demo/cub_search.py',
                 det='configs/transnas/demo/coco_search.py')
SPLITS = ('train', 'val', 'test')
# What a written config keeps: the Runner's arguments, the registry scope
# and plugin imports, and what new_target records about the split.
CONFIG_FIELDS = set(inspect.signature(Runner.__init__).parameters) | {
    'custom_imports', 'default_scope', 'runner_type', 'target_split',
    'target_classes'}


class InputError(ValueError):
    """A bad argument or data file, named in one line."""


# -- reading the user's data ----------------------------------------------

def _folder_samples(path: str) -> Tuple[List[str], int]:
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


def _ann_samples(path: str, arg: str) -> Tuple[int, int]:
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


def _coco(path: str, arg: str) -> dict:
    try:
        with open(path) as f:
            doc = json.load(f)
    except json.JSONDecodeError as e:
        raise InputError(f'{path}: malformed JSON ({e}) ({arg})') from None
    for key in ('images', 'annotations', 'categories'):
        if not isinstance(doc.get(key), list):
            raise InputError(f'{path}: {key}: missing; expected a COCO '
                             f'json with images/annotations/categories '
                             f'({arg})')
    if not doc['images'] or not doc['categories']:
        raise InputError(f'{path}: no images or no categories ({arg})')
    return doc


# -- editing the template ---------------------------------------------------

def _set_sizes(pipeline: List[dict], size: int, train: bool) -> List[dict]:
    """The template's transforms at ``size``; a test pipeline without a
    resize gets one (the demo's images are already at its size)."""
    out = []
    for t in pipeline:
        t = dict(t)
        kind = t['type'].split('.')[-1]
        if kind in ('RandomResizedCrop', 'ResizeEdge'):
            t['scale'] = size
        elif kind in ('RandomCrop', 'CenterCrop'):
            t['crop_size'] = size
        elif kind == 'Resize':
            t['scale'] = (size, size)
        out.append(t)
    kinds = [t['type'].split('.')[-1] for t in out]
    if not train and not any(k.startswith('Resize') or k == 'CenterCrop'
                             for k in kinds):
        out.insert(1, dict(type='Resize', scale=(size, size)))
    return out


def _carve(n: int, fraction: float, seed: int) -> Tuple[list, list]:
    perm = np.random.default_rng(seed).permutation(n)
    k = int(round(n * fraction))
    if not 0 < k < n:
        raise InputError(f'--search-fraction: {fraction} of {n} validation '
                         f'samples leaves an empty split; expected a value '
                         f'that keeps both non-empty, or pass --test')
    return sorted(int(i) for i in perm[:k]), sorted(int(i) for i in perm[k:])


def _cls_dataset(path: str, img: Optional[str], classes, pipeline,
                 arg: str) -> Tuple[dict, int, int]:
    """(dataset cfg, samples, classes seen) of a folder or an ann file."""
    if osp.isdir(path):
        names, count = _folder_samples(path)
        if classes is not None and list(names) != list(classes):
            raise InputError(f'{path}: class folders {names} differ from '
                             f'the training classes {list(classes)} ({arg})')
        return (dict(type='CustomDataset', data_root='',
                     data_prefix=osp.abspath(path), with_label=True,
                     pipeline=pipeline), count, len(names))
    if not osp.isfile(path):
        raise InputError(f'{arg}: {path}: not found; expected an image '
                         f'folder or an ann file')
    count, seen = _ann_samples(path, arg)
    return (dict(type='CustomDataset', data_root='',
                 ann_file=osp.abspath(path),
                 data_prefix=osp.abspath(img or osp.dirname(path)),
                 with_label=True, pipeline=pipeline), count, seen)


def _det_dataset(path: str, img: Optional[str], pipeline, arg: str
                 ) -> Tuple[dict, int, List[str]]:
    if not osp.isfile(path):
        raise InputError(f'{arg}: {path}: not found; expected a COCO json')
    doc = _coco(path, arg)
    names = [c['name'] for c in doc['categories']]
    # labels by name in every split (mmdet's CocoDataset: by each json's
    # list order, which two export tools may write differently)
    ds = dict(type='transnas_mm.NamedCocoDataset', data_root='',
              ann_file=osp.abspath(path),
              data_prefix=dict(img=osp.abspath(img or osp.dirname(path)) +
                               '/'), pipeline=pipeline)
    return ds, len(doc['images']), names


def _metrics_by_name(cfg: Config) -> None:
    """mmdet's CocoMetric numbers categories by the json's list order; the
    written config scores by name as its datasets label (PreciseCocoMetric
    does), so a val json in another order scores what it should."""
    for ev in ('val_evaluator', 'test_evaluator'):
        kind = str(cfg[ev].get('type', '')).split('.')[-1]
        if kind == 'CocoMetric':
            cfg[ev] = dict(cfg[ev], type='transnas_mm.PreciseCocoMetric')
        elif kind != 'PreciseCocoMetric':
            raise InputError(f'--template: {ev}.type={kind!r}; expected '
                             f'CocoMetric or transnas_mm.PreciseCocoMetric '
                             f'for a COCO target')


def _hooks(cfg: Config, size: int) -> None:
    for hook in cfg.get('custom_hooks', []):
        if is_search_hook(hook):
            hook['input_shape'] = (3, size, size)


def build(args: argparse.Namespace) -> Config:
    """The template with the user's data filled in (nothing written)."""
    if args.image_size < 16:
        raise InputError(f'--image-size: {args.image_size}; expected >= 16')
    if args.source and not osp.isfile(args.source):
        raise InputError(f'--source: {args.source}: not found; expected the '
                         f'source super-network checkpoint')
    template = args.template or osp.join(ROOT, TEMPLATES[args.task])
    cfg = Config.fromfile(template)
    loaders = {s: cfg[f'{s}_dataloader'] for s in SPLITS}
    pipes = {s: _set_sizes(loaders[s].dataset.pipeline, args.image_size,
                           s == 'train') for s in SPLITS}
    paths = {s: getattr(args, s) for s in SPLITS}
    imgs = {s: getattr(args, f'{s}_img') for s in SPLITS}
    datasets, counts = {}, {}
    if args.task == 'cls':
        classes = None
        if osp.isdir(paths['train']):
            classes, _ = _folder_samples(paths['train'])
        for s in SPLITS:
            if paths[s] is None:
                continue
            datasets[s], counts[s], seen = _cls_dataset(
                paths[s], imgs[s], classes, pipes[s], f'--{s}')
            if s == 'train' and classes is None:
                classes = [str(i) for i in range(seen)]
        if args.classes:
            names = [ln.strip() for ln in open(args.classes) if ln.strip()]
            if len(names) < len(classes):
                raise InputError(f'--classes: {args.classes}: {len(names)} '
                                 f'names, labels need {len(classes)}')
            classes = names
        for ds in datasets.values():
            ds['metainfo'] = dict(classes=tuple(classes))
        cfg.model.head.num_classes = len(classes)
        if 'num_classes' in cfg.get('data_preprocessor', {}):
            cfg.data_preprocessor.num_classes = len(classes)
    else:
        classes = None
        for s in SPLITS:
            if paths[s] is None:
                continue
            datasets[s], counts[s], names = _det_dataset(
                paths[s], imgs[s], pipes[s], f'--{s}')
            if classes is None:
                classes = names
            elif sorted(names) != sorted(classes):
                raise InputError(
                    f'--{s}: {paths[s]}: categories '
                    f'{sorted(set(names) ^ set(classes))} are not in both it '
                    f'and --train; expected the same category names (in '
                    f'any order)')
            datasets[s]['metainfo'] = dict(classes=tuple(classes))
        cfg.model.bbox_head.num_classes = len(classes)
        _metrics_by_name(cfg)
    split = dict(search_source=osp.abspath(paths['val']), seed=args.seed)
    if paths['test'] is None:
        search, heldout = _carve(counts['val'], args.search_fraction,
                                 args.seed)
        datasets['test'] = dict(datasets['val'], indices=heldout)
        datasets['val'] = dict(datasets['val'], indices=search)
        split.update(heldout_source=split['search_source'],
                     search_fraction=args.search_fraction,
                     search=len(search), heldout=len(heldout))
        datasets['test']['pipeline'] = pipes['test']
    else:
        split.update(heldout_source=osp.abspath(paths['test']),
                     search=counts['val'], heldout=counts['test'])
    for s in SPLITS:
        loaders[s]['dataset'] = datasets[s]
        cfg[f'{s}_dataloader'] = loaders[s]
    if args.task == 'det':
        for s, ev in (('val', 'val_evaluator'), ('test', 'test_evaluator')):
            cfg[ev] = dict(cfg[ev], ann_file=datasets[s]['ann_file'])
    _hooks(cfg, args.image_size)
    if args.source:
        cfg.model.backbone.init_cfg.checkpoint = osp.abspath(args.source)
    cfg.target_split = split
    cfg.target_classes = tuple(classes)
    _drop_template_variables(cfg)
    try:
        check_data_files(cfg)
    except ValueError as e:
        raise InputError(str(e)) from None
    return cfg


def _drop_template_variables(cfg: Config) -> None:
    """Remove the template's own variables (its class list, data root,
    pipelines, ...): once resolved into the loaders they only name the
    template's data, which a reader would take for theirs."""
    for key in [k for k in cfg.keys() if k not in CONFIG_FIELDS]:
        cfg.pop(key)


def write(cfg: Config, out: str, argv: List[str]) -> str:
    header = ('# Generated by tools/new_target.py: a self-contained search '
              'config for your data.\n# ' + ' '.join(argv) + '\n'
              f'# Split: {cfg.target_split}\n'
              f'# Run: python tools/train.py {out}\n')
    atomic_write_text(out, header + cfg.pretty_text)
    return out


def parse_args(argv: Optional[List[str]] = None, doc: str = __doc__
               ) -> argparse.Namespace:
    """The CLI's arguments (``doc``: its help text)."""
    parser = argparse.ArgumentParser(
        description=doc.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=doc.split('\n', 1)[1])
    parser.add_argument('task', choices=['cls', 'det'])
    for s in SPLITS:
        parser.add_argument(f'--{s}', required=s != 'test',
                            help=f'{s} data: image folder or ann file (cls) '
                            f'/ COCO json (det)')
        parser.add_argument(f'--{s}-img',
                            help=f'image folder of --{s}\'s ann file '
                            '(default: its folder)')
    parser.add_argument('--classes', help='cls: one class name per line')
    parser.add_argument('--image-size', type=int, required=True)
    parser.add_argument('--source', help='source super-network checkpoint')
    parser.add_argument('--template', help='search config to start from')
    parser.add_argument('--search-fraction', type=float, default=0.5)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', required=True)
    return parser.parse_args(argv)
