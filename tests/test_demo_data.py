"""Demo data: deterministic, real formats, source/target classes disjoint."""
import hashlib
import json
import os
import os.path as osp

import numpy as np
import pytest
from mmengine.registry import init_default_scope

from transnas_mm.datasets import (SOURCE_CLASSES, TARGET_CLASSES,
                                  prepare_demo_data)
from transnas_mm.datasets.photo_target import make_photo_target


def _tree_hash(root: str) -> str:
    h = hashlib.sha256()
    for folder, _, files in sorted(os.walk(root)):
        for f in sorted(files):
            h.update(f.encode())
            with open(osp.join(folder, f), 'rb') as fh:
                h.update(fh.read())
    return h.hexdigest()


def test_deterministic_and_atomic(tmp_path, demo_root):
    again = prepare_demo_data(str(tmp_path / 'again'))
    assert _tree_hash(again) == _tree_hash(demo_root)
    assert not osp.exists(str(tmp_path / 'again') + '.tmp')
    # another seed, another set (one set suffices: each has its own stream)
    make_photo_target(str(tmp_path / 'other'), np.random.default_rng([1, 3]))
    assert _tree_hash(str(tmp_path / 'other')) != _tree_hash(
        osp.join(demo_root, 'photos'))
    assert not set(SOURCE_CLASSES) & set(TARGET_CLASSES)


def test_two_preparers_of_one_folder_build_it_once(tmp_path, monkeypatch):
    """Parallel test workers (or two `make data`) share the temp folder:
    the second waits on the lock, then finds the data built."""
    import threading
    import time

    from transnas_mm.datasets import demo_data
    calls = []

    def slow_build(out, seed):  # the build's last step: the stamp
        calls.append(out)
        time.sleep(0.5)
        os.makedirs(out)
        with open(osp.join(out, 'DEMO_DATA'), 'w') as f:
            f.write(demo_data._fingerprint(seed) + '\n')
        return out

    monkeypatch.setattr(demo_data, '_build', slow_build)
    out = str(tmp_path / 'demo')
    got = []
    workers = [threading.Thread(
        target=lambda: got.append(demo_data.prepare_demo_data(out)))
        for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(10)
    assert got == [out, out] and calls == [out]


def test_photo_target_splits_by_region_and_reads_as_custom_dataset(
        demo_root):
    from transnas_mm.datasets.photo_target import (GRID, PER_SPLIT, PHOTOS,
                                                   _cells)
    # the three splits' grid cells are disjoint and cover the photograph
    cells = _cells(400, 600)
    flat = [c for split in cells.values() for c in split]
    assert len(flat) == len(set(flat)) == GRID * GRID
    assert all(cells[s] for s in ('train', 'val', 'test'))
    init_default_scope('mmpretrain')
    from mmpretrain.datasets import CustomDataset
    sizes = {}
    for split in ('train', 'val', 'test'):
        ds = CustomDataset(data_root=osp.join(demo_root, 'photos'),
                           data_prefix=split)
        labels = [ds.get_data_info(i)['gt_label'] for i in range(len(ds))]
        assert len(ds.CLASSES) == len(PHOTOS) == 10
        assert all(labels.count(c) == PER_SPLIT[split] for c in range(10))
        sizes[split] = len(ds)
    # few labels per class; one held-out crop is <= 0.5 points
    assert PER_SPLIT['train'] <= 20 and 100 / sizes['test'] <= 0.5


def test_photo_from_a_missing_package_is_one_line():
    from transnas_mm.datasets.photo_target import photo_path
    with pytest.raises(RuntimeError) as e:
        photo_path('no_such_package_xyz', 'data/x.png')
    assert 'no_such_package_xyz' in str(e.value) and \
        'requirements/runtime.txt' in str(e.value)
    with pytest.raises(RuntimeError, match='file not found'):
        photo_path('sklearn', 'datasets/images/none.jpg')


def test_source_reads_as_imagenet_style_custom_dataset(demo_root):
    init_default_scope('mmpretrain')
    from mmpretrain.datasets import CustomDataset
    root = osp.join(demo_root, 'source')
    ds = CustomDataset(data_root=root, ann_file='meta/train.txt',
                       data_prefix='train',
                       metainfo=dict(classes=SOURCE_CLASSES))
    val = CustomDataset(data_root=root, ann_file='meta/val.txt',
                        data_prefix='val')
    labels = [ds.get_data_info(i)['gt_label'] for i in range(len(ds))]
    # large and varied: >= 50 classes, thousands of images, balanced
    assert len(SOURCE_CLASSES) >= 50 and len(ds) >= 3000
    assert set(labels) == set(range(len(SOURCE_CLASSES)))
    assert min(labels.count(c) for c in set(labels)) == len(ds) // len(
        SOURCE_CLASSES)
    assert len(val) == 10 * len(SOURCE_CLASSES)
    img = ds.get_data_info(0)['img_path']
    assert osp.isfile(img)
    train_files = {osp.realpath(ds.get_data_info(i)['img_path'])
                   for i in range(len(ds))}
    assert not train_files & {osp.realpath(val.get_data_info(i)['img_path'])
                              for i in range(len(val))}
    with open(osp.join(root, 'meta', 'classes.txt')) as f:
        assert tuple(f.read().split()) == SOURCE_CLASSES


def test_procedural_images_vary_within_and_differ_between_classes():
    import numpy as np
    from transnas_mm.datasets.procedural import (procedural_classes,
                                                 render_procedural)
    rng = np.random.default_rng(0)
    a1, a2 = (np.asarray(render_procedural(0, 48, rng), np.float32)
              for _ in range(2))
    assert a1.shape == (48, 48, 3)
    assert np.abs(a1 - a2).mean() > 10  # intra-class variation
    again = np.asarray(render_procedural(0, 48, np.random.default_rng(0)))
    assert np.array_equal(again, a1.astype(np.uint8))  # seeded
    assert len(set(procedural_classes())) == len(procedural_classes())


def test_coco_json_reads_with_mmdet(demo_root):
    init_default_scope('mmdet')
    from mmdet.datasets import CocoDataset
    root = osp.join(demo_root, 'coco')
    ds = CocoDataset(data_root=root,
                     ann_file='annotations/instances_val.json',
                     data_prefix=dict(img='val/'), test_mode=True,
                     metainfo=dict(classes=TARGET_CLASSES), pipeline=[])
    info = ds.get_data_info(0)
    assert len(ds) == 100 and info["instances"]
    with open(osp.join(root, 'annotations', 'instances_val.json')) as f:
        doc = json.load(f)
    for ann in doc['annotations']:
        x, y, w, h = ann['bbox']
        assert 0 <= x and 0 <= y and x + w <= 128 and y + h <= 128 and w > 2


def test_cub_layout_reads_with_mmpretrain_cub(demo_root):
    init_default_scope('mmpretrain')
    from mmpretrain.datasets import CUB
    root = osp.join(demo_root, 'CUB_200_2011')
    train = CUB(data_root=root, split='train',
                metainfo=dict(classes=TARGET_CLASSES))
    test = CUB(data_root=root, split='test',
               metainfo=dict(classes=TARGET_CLASSES))
    # transfer regime: 20 labelled images per class; large held-out part
    assert len(train) == 20 * len(TARGET_CLASSES) and len(test) >= 700
    names = {train.get_data_info(i)['img_path'] for i in range(len(train))}
    assert not names & {test.get_data_info(i)['img_path']
                        for i in range(len(test))}
    assert {test.get_data_info(i)['gt_label'] for i in range(len(test))} \
        == set(range(5))


def _hue(rgb) -> float:
    import colorsys
    return colorsys.rgb_to_hsv(*(float(v) / 255 for v in rgb))[0]


def _hue_gap(a: float, b: float) -> float:
    """Distance of two hues on the colour circle."""
    return min(abs(a - b), 1 - abs(a - b))


def test_hue_cue_colours_stay_near_the_class_hue():
    """The source's colour cue: a class's first texture colour is drawn
    near its hue (circular distance), any colour without one."""
    from transnas_mm.datasets.clutter import random_colour
    rng = np.random.default_rng(0)
    for hue in (0.05, 0.4, 0.9):
        near = [_hue_gap(_hue(random_colour(rng, hue)), hue) for _ in range(200)]
        free = [_hue_gap(_hue(random_colour(rng)), hue) for _ in range(200)]
        assert np.median(near) < 0.06 < np.median(free)


def test_palette_draws_both_texture_colours_near_the_class_hues():
    """``palette``: a class's texture is a pair of colours, each near one
    of its two hues; without it the second colour is any colour."""
    from transnas_mm.datasets.procedural import _texture

    def hues(tex):
        cols = np.unique(tex.reshape(-1, 3), axis=0)
        assert len(cols) == 2  # stripes: exactly the two colours
        return [_hue(c) for c in cols]
    rng = np.random.default_rng(0)
    near, free = [], []
    for k in range(40):
        h1, h2 = (k * 0.38) % 1, (k * 0.38 + 0.5) % 1
        got = hues(_texture('stripes', 32, rng, 0.0, h1, h2))
        near.append(max(min(_hue_gap(g, h) for g in got) for h in (h1, h2)))
        got = hues(_texture('stripes', 32, rng, 0.0, h1))
        free.append(min(_hue_gap(g, h2) for g in got))
    assert np.median(near) < 0.06 < np.median(free)


def test_generator_options_measured_and_left_off_still_render():
    """``natural`` (1/f^2 shading) and ``textured`` (leaves filled with
    bundled photographs): deterministic, and they change the image."""
    from transnas_mm.datasets.clutter import spectral_noise
    from transnas_mm.datasets.procedural import render_procedural
    noise = spectral_noise(64, np.random.default_rng(0))
    assert noise.shape == (64, 64, 3) and np.abs(noise).max() <= 1.0
    amp = np.abs(np.fft.fft2(noise[..., 0]))
    assert amp[1:4, 1:4].mean() > 5 * amp[24:40, 24:40].mean()  # 1/f
    plain = np.asarray(render_procedural(3, 48, np.random.default_rng(0)))
    for opt in (dict(natural=1.0), dict(textured=1.0)):
        a, b = (np.asarray(render_procedural(
            3, 48, np.random.default_rng(0), **opt)) for _ in range(2))
        assert np.array_equal(a, b) and not np.array_equal(a, plain)
