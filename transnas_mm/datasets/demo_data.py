"""Bundled demo data in the formats users have, generated deterministically
from scikit-learn's handwritten digits (shipped inside the package, no
download).

* ``source/``: ImageNet-style ``CustomDataset`` folders + ann files, digits
  0-4 (the task the super-network is trained on once).
* ``coco/``: detection in COCO json, digits 5-9 pasted on canvases.
* ``CUB_200_2011/``: fine-grained classification in the CUB folder layout
  that mmpretrain's ``CUB`` reads unchanged, digits 5-9 on cluttered scenes.

Source and target classes differ, so the demo is a real transfer.
"""
import hashlib
import json
import os
import os.path as osp
import shutil
from typing import Dict, List, Sequence, Tuple

import numpy as np
from PIL import Image

SOURCE_CLASSES = ('0', '1', '2', '3', '4')
TARGET_CLASSES = ('5', '6', '7', '8', '9')
FORMAT_VERSION = 3


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


def make_source(out: str, images: np.ndarray, labels: np.ndarray,
                rng: np.random.Generator, size: int = 32,
                per_class: int = 0) -> None:
    """ImageNet-style layout: ``train/<cls>/*.png``, ``meta/train.txt``."""
    os.makedirs(osp.join(out, 'meta'))
    for split in ('train', 'val'):
        os.makedirs(osp.join(out, split))
    lines: Dict[str, List[str]] = {'train': [], 'val': []}
    for label, idx in _by_class(labels, SOURCE_CLASSES).items():
        if per_class:
            idx = idx[:per_class]
        train, val = _split(idx, rng, 0.2)
        for split, ids in (('train', train), ('val', val)):
            folder = osp.join(out, split, SOURCE_CLASSES[label])
            os.makedirs(folder, exist_ok=True)
            for i in ids:
                name = f'{SOURCE_CLASSES[label]}/{i:04d}.png'
                _render(images[i], size, rng).save(osp.join(out, split, name))
                lines[split].append(f'{name} {label}')
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
              rng: np.random.Generator, num_train: int = 200,
              num_val: int = 60, num_test: int = 60, size: int = 128) -> None:
    """COCO json detection set: ``{train,val,test}/*.png``,
    ``annotations/instances_{train,val,test}.json``. ``val`` is the search
    split, ``test`` the held-out split (its own canvases)."""
    os.makedirs(osp.join(out, 'annotations'))
    pools = _by_class(labels, TARGET_CLASSES)
    train_pool, val_pool = [], []
    for idx in pools.values():
        tr, va = _split(idx, rng, 0.3)
        train_pool += tr
        val_pool += va
    categories = [dict(id=i + 1, name=c, supercategory='digit')
                  for i, c in enumerate(TARGET_CLASSES)]
    cat_of = {int(c): i + 1 for i, c in enumerate(TARGET_CLASSES)}
    for split, n, pool in (('train', num_train, train_pool),
                           ('val', num_val, val_pool),
                           ('test', num_test, val_pool)):
        os.makedirs(osp.join(out, split))
        imgs, anns = [], []
        for k in range(n):
            canvas, objs = _canvas(images, pool, labels, rng, size, 4, 20, 44)
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
        train, _ = _split(idx, rng, 0.4)
        train_set = set(train)
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


def prepare_demo_data(out: str, seed: int = 0, force: bool = False) -> str:
    """Write all three demo sets under ``out`` (atomically: built in a temp
    folder, renamed at the end). Returns ``out``; skips if already built
    with the same seed and format."""
    stamp = osp.join(out, 'DEMO_DATA')
    if not force and osp.isfile(stamp):
        with open(stamp) as f:
            if f.read().strip() == _fingerprint(seed):
                return out
    tmp = out.rstrip('/') + '.tmp'
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    rng = np.random.default_rng(seed)
    images, labels = _digits()
    make_source(osp.join(tmp, 'source'), images, labels, rng)
    make_coco(osp.join(tmp, 'coco'), images, labels, rng)
    make_cub(osp.join(tmp, 'CUB_200_2011'), images, labels, rng)
    with open(osp.join(tmp, 'DEMO_DATA'), 'w') as f:
        f.write(_fingerprint(seed) + '\n')
    if osp.exists(out):
        shutil.rmtree(out)
    os.replace(tmp, out)
    return out
