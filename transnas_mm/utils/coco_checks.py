"""Check a COCO json against the config that reads it, before training:
the class order mmdet numbers labels by, boxes mmdet would drop without a
word, and splits with nothing to train or score on."""
import json
import os.path as osp
from collections import Counter
from typing import Dict, List, Optional, Sequence

from mmengine.logging import print_log

# More bad boxes than this share of a file is refused, fewer are reported.
MAX_BAD_SHARE = 0.05
# Boxes with less than this share of their area inside the image are
# reported as "mostly outside" (mmdet keeps them as they are).
MIN_INSIDE = 0.5
# Larger jsons (COCO train2017: 448 MB) are read by mmdet only, not twice.
MAX_CHECK_BYTES = 200 << 20


def _box_kind(ann: dict, img: Optional[dict], cat_ids: set) -> str:
    """'' for a usable box, else why mmdet drops it or it is wrong."""
    if img is None:
        return 'unknown image_id'
    if ann.get('category_id') not in cat_ids:
        return 'unknown category_id'
    box = ann.get('bbox')
    if not (isinstance(box, (list, tuple)) and len(box) == 4 and
            all(isinstance(v, (int, float)) for v in box)):
        return 'malformed bbox'
    x, y, w, h = box
    if w < 1 or h < 1 or ann.get('area', w * h) <= 0:
        return 'zero or negative size'
    width, height = img.get('width', 0), img.get('height', 0)
    inside_w = max(0, min(x + w, width) - max(x, 0))
    inside_h = max(0, min(y + h, height) - max(y, 0))
    if inside_w * inside_h == 0:
        return 'outside the image'
    if inside_w * inside_h < MIN_INSIDE * w * h:
        return 'mostly outside the image'
    return ''


def _label_order(field: str, path: str, doc: dict,
                 classes: Optional[Sequence[str]], by_name: bool) -> None:
    """mmdet gives label i to the i-th category of the json's list among
    ``classes`` (not the id order): the config must list them so, unless
    the dataset matches them by name (``by_name``: NamedCocoDataset)."""
    names = [c.get('name') for c in doc['categories']]
    dup = sorted(n for n, k in Counter(names).items() if k > 1)
    if dup:
        raise ValueError(f'{field}.ann_file: {path}: categories: name '
                         f'{dup[0]!r} appears more than once; expected '
                         f'unique names')
    if classes is None:
        return
    missing = [c for c in classes if c not in names]
    if missing:
        raise ValueError(f'{field}.metainfo.classes: {missing[0]!r} is not a '
                         f'category of {path} (its categories: '
                         f'{tuple(names)})')
    if by_name:
        return
    wanted = set(classes)
    order = tuple(n for n in names if n in wanted)
    if order != tuple(classes):
        raise ValueError(
            f'{field}.metainfo.classes: {tuple(classes)} is not the order '
            f'mmdet numbers labels by in {path} (its categories list: '
            f'{order}); list the classes in that order, or use '
            f'type=\'transnas_mm.NamedCocoDataset\' (labels by name)')


def check_coco(field: str, path: str, classes: Optional[Sequence[str]],
               indices=None, by_name: bool = False) -> List[str]:
    """One-line ``ValueError`` naming ``field``, ``path`` and the count for
    a class order the labels do not follow, bad boxes above
    ``MAX_BAD_SHARE`` (fewer are reported as a warning) or a split without
    a usable box; ``indices``: the subset of the json's images the split
    uses (``dataset.indices``); ``by_name``: the dataset numbers labels by
    class name, in any list order (``NamedCocoDataset``). Returns the warnings (also logged)."""
    if osp.getsize(path) > MAX_CHECK_BYTES:
        return []
    try:
        with open(path) as f:
            doc = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f'{field}.ann_file: {path}: malformed JSON ({e}); '
                         f'expected a COCO json') from None
    for key in ('images', 'annotations', 'categories'):
        if not isinstance(doc.get(key) if isinstance(doc, dict) else None,
                          list):
            raise ValueError(f'{field}.ann_file: {path}: {key}: missing; '
                             f'expected a COCO json with images, '
                             f'annotations and categories lists')
    _label_order(field, path, doc, classes, by_name)
    images: Dict = {im.get('id'): im for im in doc['images']}
    cat_ids = {c.get('id') for c in doc['categories']
               if classes is None or c.get('name') in set(classes)}
    all_ids = {c.get('id') for c in doc['categories']}
    kinds: Counter = Counter()
    usable = Counter()
    for ann in doc['annotations']:
        if ann.get('iscrowd') or ann.get('ignore'):
            continue
        if ann.get('category_id') in all_ids - cat_ids:
            continue  # a category the config leaves out on purpose
        kind = _box_kind(ann, images.get(ann.get('image_id')), cat_ids)
        kinds[kind] += 1
        if not kind or kind == 'mostly outside the image':
            usable[ann.get('image_id')] += 1
    total = sum(kinds.values())
    bad = total - kinds['']
    warnings = []
    if bad:
        what = ', '.join(f'{n} {k}' for k, n in sorted(kinds.items()) if k)
        msg = (f'{field}.ann_file: {path}: {bad} of {total} boxes are bad '
               f'({what}); mmdet drops all but the mostly-outside ones '
               f'without a word')
        if bad > MAX_BAD_SHARE * total:
            raise ValueError(f'{msg}; expected at most '
                             f'{MAX_BAD_SHARE:.0%}: fix or remove them')
        warnings.append(f'{msg}: check them')
        print_log(warnings[-1], logger='current', level=30)
    split = _split_images(doc['images'], indices)
    if not any(usable[im.get('id')] for im in split):
        raise ValueError(
            f'{field}.ann_file: {path}: no usable box on the {len(split)} '
            f'images of this split; expected annotations to train or score '
            f'on (COCO\'s metric scores every model -1 without them)')
    return warnings


def _split_images(images: List[dict], indices) -> List[dict]:
    """The images a dataset with ``indices`` keeps (mmengine: the first n,
    or the listed positions of the json's image list)."""
    if indices is None:
        return images
    if isinstance(indices, int):
        return images[:indices]
    return [images[i] for i in indices if 0 <= i < len(images)]
