"""Bundled demo data in the formats users have, generated deterministically
from scikit-learn's handwritten digits (shipped inside the package, no
download).

* ``source/``: ImageNet-style ``CustomDataset`` folders + ann files: 80
  formula-driven classes (textured shapes in dead-leaves clutter, see
  :mod:`.procedural`) plus digits 0-4 in the same clutter, thousands of
  images (100 train + 10 val per class): the large generic task the
  super-network is trained on once.
* ``coco/``: detection in COCO json, digits 5-9 pasted on canvases.
* ``CUB_200_2011/``: fine-grained classification in the CUB folder layout
  that mmpretrain's ``CUB`` reads unchanged, digits 5-9 on cluttered scenes,
  few labels per class (the regime where transfer matters).
* ``photos/``: a natural-image target, crops of ten photographs bundled in
  installed packages, CustomDataset image folders (see :mod:`.photo_target`).
* ``photos96/``: the same crops at 96 px, for ImageNet networks (the
  ``efficientnet_lite0`` route), whose features need more than 48 px.

Source and target classes differ, so the demo is a real transfer; no digit
image is shared between a target's train, search and held-out splits.
"""
import fcntl
import hashlib
import json
import os
import os.path as osp
import shutil
from typing import Dict, List, Sequence, Tuple

import numpy as np
from PIL import Image

from .photo_target import make_photo_target
from .procedural import dead_leaves, naturalise, procedural_classes, render_procedural

SOURCE_DIGITS = ('0', '1', '2', '3', '4')
SOURCE_CLASSES = tuple(procedural_classes()) + SOURCE_DIGITS
TARGET_CLASSES = ('5', '6', '7', '8', '9')
FORMAT_VERSION = 8
# Fine-grained target: labelled training images per class (CUB-200 has ~30;
# the demo lives where transfer pays) and the search split's size.
CUB_TRAIN_PER_CLASS = 20
# Detection target: few labelled training canvases (1-3 digits each).
COCO_TRAIN = 150


def _digits() -> Tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits
    d = load_digits()
    return (d.images / 16.0).astype(np.float32), d.target


def _render(digit: np.ndarray, size: int,
            rng: np.random.Generator) -> Image.Image:
    """8x8 intensity map -> RGB image of ``size`` px in a random ink colour."""
    mask = Image.fromarray((digit * 255).astype(np.uint8)).resize(
        (size, size), Image.BILINEAR)
    ink = tuple(int(v) for v in rng.integers(0, 160, 3))
    paper = Image.new('RGB', (size, size), (255, 255, 255))
    return Image.composite(Image.new('RGB', (size, size), ink), paper, mask)


def _by_class(labels: np.ndarray, classes: Sequence[str]) -> Dict[int, List[int]]:
    return {i: np.flatnonzero(labels == int(c)).tolist()
            for i, c in enumerate(classes)}


def _split(indices: List[int], rng: np.random.Generator,
           val_frac: float) -> Tuple[List[int], List[int]]:
    idx = rng.permutation(indices).tolist()
    n_val = max(1, int(round(len(idx) * val_frac)))
    return idx[n_val:], idx[:n_val]


def _render_source_digit(digit: np.ndarray, size: int,
                         rng: np.random.Generator,
                         natural: float = 0.0,
                         textured: float = 0.0) -> Image.Image:
    """A source digit in the same dead-leaves clutter as the procedural
    classes (so the background never tells the class)."""
    img = dead_leaves(size, rng, leaves=20, textured=textured)
    s = int(rng.integers(size // 2, size))
    x, y = (int(v) for v in rng.integers(0, size - s + 1, 2))
    mask = Image.fromarray((digit * 255).astype(np.uint8)).resize(
        (s, s), Image.BILINEAR)
    ink = tuple(int(v) for v in rng.integers(0, 256, 3))
    img.paste(Image.new('RGB', (s, s), ink), (x, y), mask)
    return naturalise(img, rng, natural) if natural else img


def make_source(out: str, images: np.ndarray, labels: np.ndarray,
                rng: np.random.Generator, size: int = 48,
                per_class: int = 100, val_per_class: int = 10,
                natural: float = 0.0, textured: float = 0.0,
                hue_cue: bool = False, palette: bool = False) -> None:
    """ImageNet-style layout: ``train/<cls>/*.png``, ``meta/{train,val}.txt``
    (``<path> <label>`` lines), ``meta/classes.txt``. ``per_class`` training
    and ``val_per_class`` held-out images of every class."""
    os.makedirs(osp.join(out, 'meta'))
    lines: Dict[str, List[str]] = {'train': [], 'val': []}
    digit_pools = _by_class(labels, SOURCE_DIGITS)
    n_proc = len(procedural_classes())
    for label, name in enumerate(SOURCE_CLASSES):
        counts = (('train', per_class), ('val', val_per_class))
        if label >= n_proc:  # digits: disjoint images per split
            pool = rng.permutation(digit_pools[label - n_proc]).tolist()
        for split, n in counts:
            folder = osp.join(out, split, name)
            os.makedirs(folder)
            for k in range(n):
                if label < n_proc:
                    img = render_procedural(label, size, rng,
                                            natural=natural,
                                            textured=textured,
                                            hue_cue=hue_cue,
                                            palette=palette)
                else:
                    i = pool.pop()
                    img = _render_source_digit(images[i], size, rng,
                                               natural, textured)
                rel = f'{name}/{k:04d}.png'
                img.save(osp.join(out, split, rel))
                lines[split].append(f'{rel} {label}')
    for split, ls in lines.items():
        ls = [ls[i] for i in rng.permutation(len(ls))]  # mixed subsets
        with open(osp.join(out, 'meta', f'{split}.txt'), 'w') as f:
            f.write('\n'.join(ls) + '\n')
    with open(osp.join(out, 'meta', 'classes.txt'), 'w') as f:
        f.write('\n'.join(SOURCE_CLASSES) + '\n')


def _canvas(images: np.ndarray, pool: List[int], labels: np.ndarray,
            rng: np.random.Generator, size: int, max_objects: int,
            min_px: int, max_px: int) -> Tuple[Image.Image, List[dict]]:
    """Paste 1..max_objects non-overlapping digits on a noisy canvas."""
    noise = rng.integers(200, 256, (size, size, 3), dtype=np.uint8)
    canvas = Image.fromarray(noise)
    boxes: List[Tuple[int, int, int, int]] = []
    anns = []
    for _ in range(int(rng.integers(1, max_objects + 1))):
        i = int(rng.choice(pool))
        s = int(rng.integers(min_px, max_px + 1))
        for _try in range(20):
            x, y = (int(v) for v in rng.integers(0, size - s, 2))
            if all(x + s <= bx or bx + bs <= x or y + s <= by or by + bs <= y
                   for bx, by, bs, _ in boxes):
                break
        else:
            continue
        digit = _render(images[i], s, rng)
        mask = Image.fromarray((images[i] * 255).astype(np.uint8)).resize(
            (s, s), Image.BILINEAR)
        canvas.paste(digit, (x, y), mask)
        boxes.append((x, y, s, int(labels[i])))
        # Tight box around the ink, as an annotator would draw it.
        ys, xs = np.nonzero(np.asarray(mask) > 40)
        anns.append(dict(digit=int(labels[i]),
                         bbox=[x + int(xs.min()), y + int(ys.min()),
                               int(xs.max() - xs.min() + 1),
                               int(ys.max() - ys.min() + 1)]))
    return canvas, anns


def make_coco(out: str, images: np.ndarray, labels: np.ndarray,
              rng: np.random.Generator, num_train: int = COCO_TRAIN,
              num_val: int = 100, num_test: int = 200, size: int = 128,
              max_objects: int = 3, min_px: int = 28,
              max_px: int = 52) -> None:
    """COCO json detection set: ``{train,val,test}/*.png``,
    ``annotations/instances_{train,val,test}.json``. ``val`` is the search
    split, ``test`` the held-out split (its own canvases)."""
    os.makedirs(osp.join(out, 'annotations'))
    pools = _by_class(labels, TARGET_CLASSES)
    # Disjoint digit images per split: train 50%, search 25%, held-out 25%.
    train_pool, val_pool, test_pool = [], [], []
    for idx in pools.values():
        tr, rest = _split(idx, rng, 0.5)
        va, te = _split(rest, rng, 0.5)
        train_pool += tr
        val_pool += va
        test_pool += te
    categories = [dict(id=i + 1, name=c, supercategory='digit')
                  for i, c in enumerate(TARGET_CLASSES)]
    cat_of = {int(c): i + 1 for i, c in enumerate(TARGET_CLASSES)}
    for split, n, pool in (('train', num_train, train_pool),
                           ('val', num_val, val_pool),
                           ('test', num_test, test_pool)):
        os.makedirs(osp.join(out, split))
        imgs, anns = [], []
        for k in range(n):
            canvas, objs = _canvas(images, pool, labels, rng, size,
                                   max_objects, min_px, max_px)
            name = f'{k:05d}.png'
            canvas.save(osp.join(out, split, name))
            imgs.append(dict(id=k + 1, file_name=name, width=size,
                             height=size))
            for o in objs:
                w, h = o['bbox'][2], o['bbox'][3]
                anns.append(dict(id=len(anns) + 1, image_id=k + 1,
                                 category_id=cat_of[o['digit']],
                                 bbox=o['bbox'], area=float(w * h),
                                 iscrowd=0))
        with open(osp.join(out, 'annotations', f'instances_{split}.json'),
                  'w') as f:
            json.dump(dict(images=imgs, annotations=anns,
                           categories=categories), f)


def make_cub(out: str, images: np.ndarray, labels: np.ndarray,
             rng: np.random.Generator, size: int = 48) -> None:
    """``CUB_200_2011`` layout: ``images/<NNN.name>/*.jpg``, ``images.txt``,
    ``image_class_labels.txt``, ``train_test_split.txt``, ``classes.txt``."""
    os.makedirs(osp.join(out, 'images'))
    pools = _by_class(labels, TARGET_CLASSES)
    samples = []
    class_lines = []
    for label, idx in pools.items():
        folder = f'{label + 1:03d}.digit_{TARGET_CLASSES[label]}'
        class_lines.append(f'{label + 1} {folder}')
        os.makedirs(osp.join(out, 'images', folder))
        train_set = set(rng.permutation(idx)[:CUB_TRAIN_PER_CLASS].tolist())
        for i in idx:
            canvas, _objs = _canvas(images, [i], labels, rng, size, 1, 26, 40)
            name = f'{folder}/digit_{i:04d}.jpg'
            canvas.save(osp.join(out, 'images', name), quality=95)
            samples.append((name, label + 1, int(i in train_set)))
    # Sample ids in mixed class order, as in the real CUB files.
    order = rng.permutation(len(samples))
    image_lines, label_lines, split_lines = [], [], []
    for sid, k in enumerate(order, 1):
        name, label, is_train = samples[k]
        image_lines.append(f'{sid} {name}')
        label_lines.append(f'{sid} {label}')
        split_lines.append(f'{sid} {is_train}')
    for fname, ls in (('images.txt', image_lines),
                      ('image_class_labels.txt', label_lines),
                      ('train_test_split.txt', split_lines),
                      ('classes.txt', class_lines)):
        with open(osp.join(out, fname), 'w') as f:
            f.write('\n'.join(ls) + '\n')


def _fingerprint(seed: int) -> str:
    return hashlib.sha256(
        f'{FORMAT_VERSION}:{seed}'.encode()).hexdigest()[:16]


def _built(out: str, seed: int) -> bool:
    stamp = osp.join(out, 'DEMO_DATA')
    if not osp.isfile(stamp):
        return False
    with open(stamp) as f:
        return f.read().strip() == _fingerprint(seed)


def prepare_demo_data(out: str, seed: int = 0, force: bool = False) -> str:
    """Write all four demo sets under ``out`` (atomically: built in a temp
    folder, renamed at the end). Returns ``out``; skips if already built
    with the same seed and format. Two processes preparing the same ``out``
    (parallel test workers, two ``make data``) share one temp folder, so
    the second waits on a lock beside ``out`` and then finds it built."""
    if not force and _built(out, seed):
        return out
    parent = osp.dirname(osp.abspath(out.rstrip('/')))
    os.makedirs(parent, exist_ok=True)
    fd = os.open(out.rstrip('/') + '.lock', os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # released when fd closes or we die
        if not force and _built(out, seed):
            return out
        return _build(out, seed)
    finally:
        os.close(fd)


def _build(out: str, seed: int) -> str:
    tmp = out.rstrip('/') + '.tmp'
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    images, labels = _digits()
    # one random stream per set: changing one set leaves the others as is
    # colour is part of a source class (hue_cue, palette: a pair of hues),
    # chosen on the photo target's search split: colour-blind classes do
    # not transfer to photographs (docs/results/sources.md)
    make_source(osp.join(tmp, 'source'), images, labels,
                np.random.default_rng([seed, 0]), hue_cue=True, palette=True)
    make_coco(osp.join(tmp, 'coco'), images, labels,
              np.random.default_rng([seed, 1]))
    make_cub(osp.join(tmp, 'CUB_200_2011'), images, labels,
             np.random.default_rng([seed, 2]))
    make_photo_target(osp.join(tmp, 'photos'),
                      np.random.default_rng([seed, 3]))
    # the same stream: the same crops, at ImageNet networks' scale
    make_photo_target(osp.join(tmp, 'photos96'),
                      np.random.default_rng([seed, 3]), size=96)
    with open(osp.join(tmp, 'DEMO_DATA'), 'w') as f:
        f.write(_fingerprint(seed) + '\n')
    if osp.exists(out):
        shutil.rmtree(out)
    os.replace(tmp, out)
    return out
