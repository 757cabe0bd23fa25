"""Detection targets: COCO json files, labelled by category name in every
split (``transnas_mm.NamedCocoDataset`` and ``PreciseCocoMetric``)."""
import json
import os.path as osp
from typing import Dict, List, Optional, Tuple

from mmengine.config import Config

from .base import InputError, TargetKind, register_kind


def read_coco(path: str, arg: str) -> dict:
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


def det_dataset(path: str, img: Optional[str], pipeline, arg: str
                ) -> Tuple[dict, int, List[str]]:
    if not osp.isfile(path):
        raise InputError(f'{arg}: {path}: not found; expected a COCO json')
    doc = read_coco(path, arg)
    names = [c['name'] for c in doc['categories']]
    # labels by name in every split (mmdet's CocoDataset: by each json's
    # list order, which two export tools may write differently)
    ds = dict(type='transnas_mm.NamedCocoDataset', data_root='',
              ann_file=osp.abspath(path),
              data_prefix=dict(img=osp.abspath(img or osp.dirname(path)) +
                               '/'), pipeline=pipeline)
    return ds, len(doc['images']), names


def metrics_by_name(cfg: Config) -> None:
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


@register_kind
class Detection(TargetKind):
    name = 'det'
    template = 'configs/transnas/demo/coco_search.py'
    head_keys = ('bbox_head', 'rpn_head')

    def datasets(self, paths: Dict[str, Optional[str]],
                 imgs: Dict[str, Optional[str]], pipes: Dict[str, list],
                 classes_file: Optional[str]
                 ) -> Tuple[Dict[str, dict], Dict[str, int], List[str]]:
        datasets, counts, classes = {}, {}, None
        for s, path in paths.items():
            if path is None:
                continue
            datasets[s], counts[s], names = det_dataset(
                path, imgs[s], pipes[s], f'--{s}')
            if classes is None:
                classes = names
            elif sorted(names) != sorted(classes):
                raise InputError(
                    f'--{s}: {path}: categories '
                    f'{sorted(set(names) ^ set(classes))} are not in both it '
                    f'and --train; expected the same category names (in '
                    f'any order)')
            datasets[s]['metainfo'] = dict(classes=tuple(classes))
        return datasets, counts, classes

    def set_classes(self, cfg: Config, classes: List[str]) -> None:
        heads = [cfg.model.bbox_head] if 'bbox_head' in cfg.model else []
        if 'roi_head' in cfg.model:
            heads.append(cfg.model.roi_head.bbox_head)
        for head in heads:
            head.num_classes = len(classes)
        metrics_by_name(cfg)

    def finish(self, cfg: Config, datasets: Dict[str, dict]) -> None:
        for s, ev in (('val', 'val_evaluator'), ('test', 'test_evaluator')):
            cfg[ev] = dict(cfg[ev], ann_file=datasets[s]['ann_file'])
