"""A user's data is checked before anything trains: labels outside the
classes, a class order the labels do not follow (COCO's categories list vs
ids), bad boxes, splits with nothing in them, empty class folders; and the
config tools/new_target.py writes holds only what applies to the user's
data. Each check through check_data_files (what tools/train.py and
tools/test.py call) and, where it writes configs, tools/new_target.py."""
import copy
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope
from PIL import Image

from conftest import ROOT, one_line
from transnas_mm.utils import check_data_files

NEW_TARGET = osp.join(ROOT, 'tools', 'new_target.py')
DEMO_CLASSES = ('5', '6', '7', '8', '9')


def _new_target(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, NEW_TARGET, *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


# -- COCO: class order, bad boxes, empty splits ------------------------------

def _coco(folder, name, cats, boxes_per_image=2, images=12, seed=0,
          bad=()):
    """A COCO json + images: ``cats`` as (id, name) in list order; each
    image has boxes of categories cycling through the ids; ``bad``: extra
    (kind, image index) boxes."""
    rng = np.random.default_rng(seed)
    (folder / 'img').mkdir(exist_ok=True)
    imgs, anns = [], []
    ids = sorted(c for c, _ in cats)
    for i in range(images):
        fname = f'{name}_{i}.png'
        Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)
                        ).save(folder / 'img' / fname)
        imgs.append(dict(id=i + 1, file_name=fname, width=64, height=64))
        for b in range(boxes_per_image):
            cat = ids[(i + b) % len(ids)]
            anns.append(dict(id=len(anns) + 1, image_id=i + 1,
                             category_id=cat, bbox=[4 + 20 * b, 8, 16, 20],
                             area=320, iscrowd=0))
    for kind, i in bad:
        box = dict(zero=[5, 5, 0, 10], negative=[5, 5, -8, 10],
                   outside=[80, 80, 10, 10], mostly=[56, 56, 30, 30])[kind]
        anns.append(dict(id=len(anns) + 1, image_id=i + 1,
                         category_id=ids[0], bbox=box,
                         area=max(box[2] * box[3], 0), iscrowd=0))
    path = folder / f'{name}.json'
    path.write_text(json.dumps(dict(
        images=imgs, annotations=anns,
        categories=[dict(id=c, name=n) for c, n in cats])))
    return str(path)


def _det_cfg(ann, classes, num_classes=None, indices=None):
    ds = dict(type='CocoDataset', data_root='', ann_file=ann,
              data_prefix=dict(img=osp.join(osp.dirname(ann), 'img') + '/'),
              metainfo=dict(classes=tuple(classes)), pipeline=[])
    if indices is not None:
        ds['indices'] = indices
    return Config(dict(
        model=dict(bbox_head=dict(num_classes=num_classes or len(classes))),
        val_dataloader=dict(dataset=ds)))


# non-contiguous ids, listed in reverse id order
REVERSED = [(12, 'zebra'), (7, 'yak'), (3, 'xerus')]


def test_coco_class_order_follows_the_categories_list(tmp_path):
    ann = _coco(tmp_path, 'train', REVERSED)
    # classes in id order: mmdet would name label 0 'xerus' while it is the
    # list's first category, 'zebra'
    with pytest.raises(ValueError) as err:
        check_data_files(_det_cfg(ann, ('xerus', 'yak', 'zebra')))
    one_line(err, 'val_dataloader.dataset.metainfo.classes', ann,
              "('zebra', 'yak', 'xerus')")
    check_data_files(_det_cfg(ann, ('zebra', 'yak', 'xerus')))
    with pytest.raises(ValueError) as err:
        check_data_files(_det_cfg(ann, ('zebra', 'gnu')))
    one_line(err, 'metainfo.classes', "'gnu'", ann)
    with pytest.raises(ValueError) as err:
        check_data_files(_det_cfg(ann, ('zebra', 'yak', 'xerus'), 5))
    one_line(err, 'metainfo.classes', '3 classes',
              'model.bbox_head.num_classes=5')


def _det_config(tmp_path, train, val):
    """new_target's detection config for ``train`` and ``val`` jsons."""
    out = str(tmp_path / 'det.py')
    img = str(tmp_path / 'img')
    proc = _new_target('det', '--train', train, '--train-img', img, '--val',
                       val, '--val-img', img, '--image-size', '64', '--out',
                       out)
    assert proc.returncode == 0, proc.stderr
    init_default_scope('mmdet')
    import transnas_mm  # noqa: F401  (registers NamedCocoDataset)
    return Config.fromfile(out)


def test_new_target_det_labels_match_names_whatever_the_order(tmp_path):
    """The generated config's class i is the category mmdet gives label i,
    for reversed non-contiguous ids (fails if classes follow the ids)."""
    train = _coco(tmp_path, 'train', REVERSED)
    val = _coco(tmp_path, 'val', REVERSED, images=20, seed=1)
    cfg = _det_config(tmp_path, train, val)
    ds = _labels_match_names(cfg.train_dataloader.dataset.to_dict(), train)
    assert sum(len(ds.get_data_info(i)['instances'])
               for i in range(len(ds))) == len(json.load(open(
                   train))['annotations'])


def _labels_match_names(ds_cfg, ann):
    """Every box of the built dataset carries the label of its category's
    name in the dataset's classes; returns the dataset."""
    from mmdet.registry import DATASETS
    doc = json.load(open(ann))
    name_of = {c['id']: c['name'] for c in doc['categories']}
    truth = {}
    for a in doc['annotations']:
        truth.setdefault(a['image_id'], []).append(name_of[a['category_id']])
    ds_cfg = dict(copy.deepcopy(ds_cfg), pipeline=[])
    ds = DATASETS.build(ds_cfg)
    classes = ds.metainfo['classes']
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        names = [classes[inst['bbox_label']] for inst in info['instances']]
        assert names == truth[info['img_id']], (names, info['img_id'])
    return ds


def test_new_target_det_val_json_in_another_category_order(tmp_path):
    """Two export tools, one category set in two list orders: the config is
    written, labels follow names in both splits and the metric scores the
    val split's own boxes as perfect (mmdet's CocoDataset + CocoMetric
    would give each split its own numbering)."""
    import torch
    from mmdet.structures import DetDataSample
    from mmengine.registry import METRICS
    from mmengine.structures import InstanceData
    train = _coco(tmp_path, 'train', REVERSED)
    val = _coco(tmp_path, 'val', list(reversed(REVERSED)), images=20,
                seed=2)
    cfg = _det_config(tmp_path, train, val)
    assert cfg.target_classes == ('zebra', 'yak', 'xerus')
    _labels_match_names(cfg.train_dataloader.dataset.to_dict(), train)
    ds = _labels_match_names(cfg.test_dataloader.dataset.to_dict(), val)
    metric = METRICS.build(cfg.test_evaluator.to_dict())
    metric.dataset_meta = ds.metainfo
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        boxes = [inst['bbox'] for inst in info['instances']]
        sample = DetDataSample(metainfo=dict(
            img_id=info['img_id'], ori_shape=(64, 64)))
        sample.pred_instances = InstanceData(
            bboxes=torch.tensor(boxes, dtype=torch.float32),
            scores=torch.ones(len(boxes)),
            labels=torch.tensor([inst['bbox_label']
                                 for inst in info['instances']]))
        metric.process({}, [sample.to_dict()])
    result = metric.evaluate(len(ds))
    assert result['coco/bbox_mAP'] == pytest.approx(1.0), result
    # a category missing from one split is refused, naming it
    other = _coco(tmp_path, 'val2', REVERSED[:2], images=20, seed=3)
    proc = _new_target('det', '--train', train, '--train-img',
                       str(tmp_path / 'img'), '--val', other, '--val-img',
                       str(tmp_path / 'img'), '--image-size', '64', '--out',
                       str(tmp_path / 'x.py'))
    assert proc.returncode != 0
    assert "['xerus']" in proc.stderr and other in proc.stderr
    assert 'Traceback' not in proc.stderr and len(
        proc.stderr.strip().splitlines()) == 1
    assert not osp.exists(tmp_path / 'x.py')


def test_bad_boxes_are_counted_by_kind_and_refused_above_a_share(
        tmp_path):
    names = [(1, 'a'), (2, 'b')]
    # 4 bad of 104 boxes: reported, not refused
    few = _coco(tmp_path, 'few', names, boxes_per_image=2, images=50,
                bad=[('zero', 0), ('negative', 1), ('outside', 2),
                     ('mostly', 3)])
    warnings = check_data_files(_det_cfg(few, ('a', 'b')))
    assert len(warnings) == 1 and '\n' not in warnings[0], warnings
    log = warnings[0]
    assert few in log
    for needle in ('4 of 104 boxes are bad', '2 zero or negative size',
                   '1 outside the image', '1 mostly outside the image'):
        assert needle in log, (needle, log)
    # 6 bad of 30: refused, one line naming the file and the counts
    many = _coco(tmp_path, 'many', names, boxes_per_image=2, images=12,
                 bad=[('zero', i) for i in range(3)] +
                 [('outside', i) for i in range(3)])
    with pytest.raises(ValueError) as err:
        check_data_files(_det_cfg(many, ('a', 'b')))
    one_line(err, many, '6 of 30 boxes are bad', '3 outside the image',
              '3 zero or negative size', 'at most 5%')


def test_split_without_annotations_is_refused(tmp_path):
    ann = _coco(tmp_path, 'val', [(1, 'a')], boxes_per_image=0)
    with pytest.raises(ValueError) as err:
        check_data_files(_det_cfg(ann, ('a', )))
    one_line(err, 'val_dataloader.dataset.ann_file', ann,
              'no usable box on the 12 images')
    # boxes only on the images a split's indices leave out
    ann = _coco(tmp_path, 'part', [(1, 'a')], boxes_per_image=1, images=4)
    doc = json.load(open(ann))
    doc['annotations'] = [a for a in doc['annotations'] if a['image_id'] > 2]
    open(ann, 'w').write(json.dumps(doc))
    check_data_files(_det_cfg(ann, ('a', ), indices=[2, 3]))
    with pytest.raises(ValueError) as err:
        check_data_files(_det_cfg(ann, ('a', ), indices=[0, 1]))
    one_line(err, 'no usable box on the 2 images')


# -- classification: labels in range, class folders --------------------------

def _cls_cfg(tmp_path, ann=None, classes=None, num_classes=5, folder=None):
    ds = dict(type='CustomDataset', data_root=str(tmp_path), pipeline=[],
              data_prefix=folder or 'imgs')
    if ann is not None:
        ds['ann_file'] = ann
    if classes is not None:
        ds['metainfo'] = dict(classes=classes)
    return Config(dict(model=dict(head=dict(num_classes=num_classes)),
                       train_dataloader=dict(dataset=ds)))


def test_label_outside_the_classes_is_named(tmp_path):
    (tmp_path / 'train.txt').write_text(
        ''.join(f'{i}.png {i % 5}\n' for i in range(10)) + 'x.png 7\n')
    with pytest.raises(ValueError) as err:
        check_data_files(_cls_cfg(tmp_path, 'train.txt'))
    one_line(err, 'train_dataloader.dataset.ann_file',
              str(tmp_path / 'train.txt'), 'line 11', 'label 7',
              'model.head.num_classes=5', '1 of 11')
    with pytest.raises(ValueError) as err:
        check_data_files(_cls_cfg(tmp_path, 'train.txt',
                                  classes=list('abcd'), num_classes=4))
    one_line(err, 'line 5', 'label 4', '0..3', '4 classes in metainfo',
              '3 of 11')
    # class list and num_classes disagree
    (tmp_path / 'ok.txt').write_text('a.png 0\nb.png 1\n')
    with pytest.raises(ValueError) as err:
        check_data_files(_cls_cfg(tmp_path, 'ok.txt', classes=list('abc'),
                                  num_classes=5))
    one_line(err, 'metainfo.classes', '3 classes',
              'model.head.num_classes=5')
    check_data_files(_cls_cfg(tmp_path, 'ok.txt', classes=list('abcde')))


def _folders(root, counts):
    for k, n in enumerate(counts):
        folder = root / f'c{k}'
        folder.mkdir(parents=True)
        for i in range(n):
            Image.new('RGB', (8, 8)).save(folder / f'{i}.png')


def test_empty_class_folder_and_too_many_folders(tmp_path):
    _folders(tmp_path / 'imgs', [2, 0, 2])
    with pytest.raises(ValueError) as err:
        check_data_files(_cls_cfg(tmp_path, num_classes=3))
    one_line(err, 'train_dataloader.dataset.data_prefix',
              str(tmp_path / 'imgs' / 'c1'), 'without an image')
    _folders(tmp_path / 'more', [1, 1, 1, 1])
    with pytest.raises(ValueError) as err:
        check_data_files(_cls_cfg(tmp_path, num_classes=3, folder='more'))
    one_line(err, str(tmp_path / 'more'), '4 class folders',
              'model.head.num_classes=3')


def test_new_target_refuses_val_labels_outside_the_training_classes(
        tmp_path):
    img = tmp_path / 'img'
    img.mkdir()
    for i in range(12):
        Image.new('RGB', (8, 8)).save(img / f'{i}.png')
    (tmp_path / 'train.txt').write_text(
        ''.join(f'{i}.png {i % 5}\n' for i in range(10)))
    (tmp_path / 'val.txt').write_text('10.png 1\n11.png 7\n')
    out = str(tmp_path / 'cls.py')
    proc = _new_target('cls', '--train', str(tmp_path / 'train.txt'),
                       '--val', str(tmp_path / 'val.txt'), '--image-size',
                       '32', '--out', out)
    assert proc.returncode != 0
    err = proc.stderr.strip()
    assert len(err.splitlines()) == 1 and 'Traceback' not in err, err
    assert 'val.txt' in err and 'label 7' in err, err
    assert not osp.exists(out)


# -- what a generated config holds -------------------------------------------

def test_generated_configs_name_no_demo_path_or_class(tmp_path):
    root = tmp_path / 'own'
    for s, split in enumerate(('train', 'val')):
        for k in range(3):
            folder = root / split / f'kind_{k}'
            folder.mkdir(parents=True)
            for i in range(4):
                Image.new('RGB', (16, 16), (60 * k, i, s)).save(
                    folder / f'{i}.png')
    det = tmp_path / 'det'
    det.mkdir()
    train = _coco(det, 'train', [(1, 'cat'), (2, 'dog')])
    val = _coco(det, 'val', [(1, 'cat'), (2, 'dog')], images=20, seed=1)
    runs = [('cls', '--train', str(root / 'train'), '--val',
             str(root / 'val'), '--image-size', '32'),
            ('det', '--train', train, '--train-img', str(det / 'img'),
             '--val', val, '--val-img', str(det / 'img'), '--image-size',
             '64')]
    for args in runs:
        out = str(tmp_path / f'{args[0]}.py')
        proc = _new_target(*args, '--out', out)
        assert proc.returncode == 0, proc.stderr
        text = open(out).read()
        for needle in ('data/demo', 'cub_classes', 'coco_classes',
                       'data_root = ', 'dataset_type', 'search_common'):
            assert needle not in text, (args[0], needle)
        cfg = Config.fromfile(out)
        assert str(DEMO_CLASSES) not in text
        assert not set(DEMO_CLASSES) & set(cfg.target_classes)
        # still a whole config: the runner's fields are all there
        for key in ('model', 'train_dataloader', 'val_dataloader',
                    'test_dataloader', 'optim_wrapper', 'custom_hooks',
                    'default_hooks', 'val_evaluator', 'train_cfg'):
            assert key in cfg, (args[0], key)


# -- splits disjoint from the training images ---------------------------------

def _photos(folder, seed, classes=3, per_class=4):
    """Class folders of distinct random images."""
    rng = np.random.default_rng(seed)
    for k in range(classes):
        (folder / f'kind_{k}').mkdir(parents=True)
        for i in range(per_class):
            Image.fromarray(rng.integers(0, 255, (16, 16, 3), dtype=np.uint8)
                            ).save(folder / f'kind_{k}' / f'{i}.png')


def test_new_target_refuses_a_split_that_shares_training_images(tmp_path):
    """--val given the training folder again, or copies of training images
    under other names, or a test json over the training images: refused in
    one line naming both files and the count, nothing written."""
    import shutil
    _photos(tmp_path / 'train', seed=0)
    _photos(tmp_path / 'val', seed=1)
    out = str(tmp_path / 'cls.py')

    def run(*args):
        proc = _new_target('cls', '--train', str(tmp_path / 'train'), *args,
                           '--image-size', '32', '--out', out)
        return proc, proc.stderr.strip()

    proc, err = run('--val', str(tmp_path / 'train'))
    assert proc.returncode != 0 and len(err.splitlines()) == 1, err
    assert '12 of 6 images' not in err and 'Traceback' not in err, err
    # the search half of the carved --val: 6 of the 12 training images
    assert 'val_dataloader.dataset: 6 of 6 images' in err, err
    assert str(tmp_path / 'train') in err and 'same file' in err, err
    assert not osp.exists(out)
    # three training images copied into --val under other names
    for k in range(3):
        shutil.copy(tmp_path / 'train' / f'kind_{k}' / '0.png',
                    tmp_path / 'val' / f'kind_{k}' / 'copy.png')
    proc, err = run('--val', str(tmp_path / 'val'), '--test',
                    str(tmp_path / 'val'))
    assert proc.returncode != 0 and len(err.splitlines()) == 1, err
    assert 'val_dataloader.dataset: 3 of 15 images' in err, err
    assert 'copy.png' in err and 'same content' in err, err
    assert not osp.exists(out)
    for k in range(3):
        os.remove(tmp_path / 'val' / f'kind_{k}' / 'copy.png')
    proc, err = run('--val', str(tmp_path / 'val'))
    assert proc.returncode == 0, err
    assert 'held-out split is carved from --val' in err, err
    assert osp.exists(out)
    # detection: a test json over the training images
    det = tmp_path / 'det'
    det.mkdir()
    train = _coco(det, 'train', [(1, 'cat')])
    val = _coco(det, 'val', [(1, 'cat')], images=20, seed=1)
    doc = json.load(open(train))
    test = det / 'test.json'
    test.write_text(json.dumps(doc))
    proc = _new_target('det', '--train', train, '--train-img',
                       str(det / 'img'), '--val', val, '--val-img',
                       str(det / 'img'), '--test', str(test), '--test-img',
                       str(det / 'img'), '--image-size', '64', '--out',
                       str(tmp_path / 'det.py'))
    err = proc.stderr.strip()
    assert proc.returncode != 0 and len(err.splitlines()) == 1, err
    assert 'test_dataloader.dataset: 12 of 12 images' in err, err
    assert 'train_0.png' in err and 'Traceback' not in err, err
    assert not osp.exists(tmp_path / 'det.py')


def test_train_py_data_checks_refuse_overlapping_splits(tmp_path):
    """What tools/train.py runs (check_data_files with the training
    loaders) refuses a val split made of training images."""
    _photos(tmp_path / 'train', seed=0)
    ds = dict(type='CustomDataset', data_root='', pipeline=[],
              data_prefix=str(tmp_path / 'train'))
    cfg = Config(dict(default_scope='mmpretrain',
                      model=dict(head=dict(num_classes=3)),
                      train_dataloader=dict(dataset=ds),
                      val_dataloader=dict(dataset=dict(ds, indices=[0, 5]))))
    with pytest.raises(ValueError) as err:
        check_data_files(cfg, ('train_dataloader', 'val_dataloader'))
    one_line(err, 'val_dataloader.dataset: 2 of 2 images',
             str(tmp_path / 'train'), 'same file')
    check_data_files(cfg, ('val_dataloader', ))  # tools/test.py: no train
