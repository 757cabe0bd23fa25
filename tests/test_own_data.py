"""Your own data in one command: tools/new_target.py writes a search config
for an image-folder dataset or a COCO json (classes, num_classes, size,
seeded search/held-out split), and tools/run_demo.py --target-config runs
the six-row comparison on it."""
import json
import os.path as osp
import re
import subprocess
import sys

import numpy as np
import pytest
from mmengine.config import Config
from PIL import Image

from conftest import ROOT

NEW_TARGET = osp.join(ROOT, 'tools', 'new_target.py')
CLASSES = [f'class_{k}' for k in range(10)]


@pytest.fixture(scope='module')
def folder_dataset(tmp_path_factory) -> str:
    """10 classes, each a colour + stripe pattern, train/val folders."""
    root = tmp_path_factory.mktemp('own')
    rng = np.random.default_rng(0)
    for split, n in (('train', 6), ('val', 6)):
        for k, name in enumerate(CLASSES):
            folder = root / split / name
            folder.mkdir(parents=True)
            for i in range(n):
                img = rng.integers(0, 60, (40, 40, 3), dtype=np.uint8)
                img[:, :, k % 3] += 120
                img[::(k // 3) + 2] += 60
                Image.fromarray(img).save(folder / f'{i}.png')
    return str(root)


def _new_target(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, NEW_TARGET, *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_folder_dataset_to_search_config_and_six_row_report(
        folder_dataset, source_ckpt, tmp_path):
    config = str(tmp_path / 'my_search.py')
    proc = _new_target('cls', '--train', osp.join(folder_dataset, 'train'),
                       '--val', osp.join(folder_dataset, 'val'),
                       '--image-size', '48', '--source', source_ckpt,
                       '--out', config)
    assert proc.returncode == 0, proc.stderr
    cfg = Config.fromfile(config)
    assert cfg.model.head.num_classes == 10
    assert cfg.train_dataloader.dataset.metainfo.classes == tuple(CLASSES)
    search = cfg.val_dataloader.dataset.indices
    heldout = cfg.test_dataloader.dataset.indices
    assert not set(search) & set(heldout)
    assert sorted(search + heldout) == list(range(60))
    assert cfg.target_split.search == 30 and cfg.target_split.seed == 0
    assert cfg.model.backbone.init_cfg.checkpoint == source_ckpt
    assert all(tuple(h['input_shape']) == (3, 48, 48)
               for h in cfg.custom_hooks)
    # the same arguments give the same split (seeded)
    again = str(tmp_path / 'again.py')
    assert _new_target('cls', '--train', osp.join(folder_dataset, 'train'),
                       '--val', osp.join(folder_dataset, 'val'),
                       '--image-size', '48', '--out', again).returncode == 0
    assert Config.fromfile(again).val_dataloader.dataset.indices == search

    out = str(tmp_path / 'report')
    proc = subprocess.run(
        [sys.executable, 'tools/run_demo.py', '--target-config', config,
         '--source', source_ckpt, '--quick', '--out', out],
        cwd=ROOT,
        capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    md = open(osp.join(out, 'report.md')).read()
    section = md.split('\n## my_search (accuracy/top1)')[1]
    rows = [ln for ln in section.splitlines() if ln.startswith('| ')]
    assert len(rows) == 1 + 6
    for row in rows[1:]:
        cells = row.strip('|').split('|')
        assert float(cells[3]) > 0  # latency (ms)
        float(cells[4].split()[0])  # a held-out value
    assert re.search(r'^verdict: \d/5', section, re.M)


def test_coco_json_carves_search_and_heldout_from_val(demo_root, tmp_path):
    ann = osp.join(demo_root, 'coco', 'annotations')
    config = str(tmp_path / 'det.py')
    proc = _new_target('det', '--train', osp.join(ann, 'instances_train.json'),
                       '--train-img', osp.join(demo_root, 'coco', 'train'),
                       '--val', osp.join(ann, 'instances_val.json'),
                       '--val-img', osp.join(demo_root, 'coco', 'val'),
                       '--image-size', '128', '--search-fraction', '0.4',
                       '--out', config)
    assert proc.returncode == 0, proc.stderr
    cfg = Config.fromfile(config)
    n = len(json.load(open(osp.join(ann, 'instances_val.json')))['images'])
    assert cfg.model.bbox_head.num_classes == 5
    assert len(cfg.val_dataloader.dataset.indices) == round(0.4 * n)
    assert sorted(cfg.val_dataloader.dataset.indices +
                  cfg.test_dataloader.dataset.indices) == list(range(n))
    # both splits are scored by the metric on the one val json (it scores
    # only the images it was given)
    assert cfg.test_evaluator.ann_file == cfg.val_evaluator.ann_file == \
        osp.join(ann, 'instances_val.json')


@pytest.mark.parametrize('content,needle', [
    ('', 'the file is empty'),
    ('a.png cat\n', 'line 1: expected "<image path> <integer label>"'),
])
def test_bad_ann_file_is_named(tmp_path, content, needle):
    ann = tmp_path / 'train.txt'
    ann.write_text(content)
    proc = _new_target('cls', '--train', str(ann), '--val', str(ann),
                       '--image-size', '48', '--out',
                       str(tmp_path / 'x.py'))
    assert proc.returncode != 0
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1 and str(ann) in err[0] and needle in err[0], err
    assert not (tmp_path / 'x.py').exists()
