"""Demo data: deterministic, real formats, source/target classes disjoint."""
import hashlib
import json
import os
import os.path as osp

from mmengine.registry import init_default_scope

from transnas_mm.datasets import (SOURCE_CLASSES, TARGET_CLASSES,
                                  prepare_demo_data)


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
    other = prepare_demo_data(str(tmp_path / 'other'), seed=1)
    assert _tree_hash(other) != _tree_hash(demo_root)
    assert not set(SOURCE_CLASSES) & set(TARGET_CLASSES)


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
