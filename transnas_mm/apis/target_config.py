"""A ready, self-contained search config for a user's own dataset, from a
search template: classes, ``num_classes``, image size, the hooks'
``input_shape``, the source checkpoint and a seeded search/held-out split
filled in, the data checked before anything is written. The CLI is
``tools/new_target.py`` (its ``--help`` shows the workflow)."""
import argparse
import inspect
import os.path as osp
from typing import List, Optional, Tuple

import numpy as np
from mmengine.config import Config
from mmengine.runner import Runner

from ..utils.atomic_io import atomic_write_text
from ..utils.config_options import is_search_hook
from ..utils.data_checks import check_data_files
from .target_kinds import TARGET_KINDS, InputError, target_kind

# the repository root of an editable install (where configs/ lives)
ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SPLITS = ('train', 'val', 'test')
# What a written config keeps: the Runner's arguments, the registry scope
# and plugin imports, and what new_target records about the split.
CONFIG_FIELDS = set(inspect.signature(Runner.__init__).parameters) | {
    'custom_imports', 'default_scope', 'runner_type', 'target_split',
    'target_classes'}


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
    kind = target_kind(args.task)
    template = args.template or osp.join(ROOT, kind.template)
    cfg = Config.fromfile(template)
    loaders = {s: cfg[f'{s}_dataloader'] for s in SPLITS}
    pipes = {s: _set_sizes(loaders[s].dataset.pipeline, args.image_size,
                           s == 'train') for s in SPLITS}
    paths = {s: getattr(args, s) for s in SPLITS}
    imgs = {s: getattr(args, f'{s}_img') for s in SPLITS}
    datasets, counts, classes = kind.datasets(paths, imgs, pipes,
                                              args.classes)
    kind.set_classes(cfg, classes)
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
    kind.finish(cfg, datasets)
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
    parser.add_argument('task', choices=sorted(TARGET_KINDS))
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
