"""Bad input: one clear line naming the field and the file."""
import json

import numpy as np
import pytest
import torch

from conftest import one_line
from transnas_mm import SparseSuperNet, TransNASNet
from transnas_mm.space import ArchError, build_space, load_arch, save_arch

DEMO = dict(stages=[(2, 24, 2), (3, 32, 2)],
            candidates=['mb_k3e3', 'mb_k5e6', 'skip'], stem_channels=16)


@pytest.fixture
def arch_file(tmp_path):
    net = SparseSuperNet(**DEMO)
    arch = net.sample_arch(np.random.default_rng(0))
    path = str(tmp_path / 'arch.json')
    save_arch(arch, path)
    return path


def _edit(path, fn):
    doc = json.load(open(path))
    fn(doc)
    json.dump(doc, open(path, 'w'))


def test_unknown_op(arch_file):
    _edit(arch_file, lambda d: d['layers'][1].update(op='conv_k3'))
    with pytest.raises(ArchError) as err:
        load_arch(arch_file)
    one_line(err, arch_file, 'layers[1].op', "'conv_k3'")
    with pytest.raises(ValueError) as err:
        SparseSuperNet(**{**DEMO, 'candidates': ['mb_k3e3', 'mb_k4e3']})
    one_line(err, "'mb_k4e3'")


def test_edge_to_missing_layer(arch_file):
    _edit(arch_file, lambda d: d['layers'][4].update(edges=[42]))
    with pytest.raises(ArchError) as err:
        load_arch(arch_file)
    one_line(err, arch_file, 'layers[4].edges', 'does not exist')


def test_skip_where_shapes_differ(arch_file):
    _edit(arch_file, lambda d: d['layers'][0].update(op='skip'))
    with pytest.raises(ArchError) as err:
        TransNASNet(arch=arch_file)
    one_line(err, arch_file, 'layers[0].op', 'skip')


def test_arch_from_another_space(arch_file):
    other = build_space(**{**DEMO, 'edge_seed': 7, 'stages': [(2, 24, 2),
                                                              (3, 48, 2)]})
    with pytest.raises(ArchError) as err:
        load_arch(arch_file, other)
    one_line(err, arch_file, 'another search space', 'space.stages')


def test_malformed_json(arch_file):
    with open(arch_file, 'w') as f:
        f.write('{"format": "transnas_mm.arch", "layers": [')
    with pytest.raises(ArchError) as err:
        load_arch(arch_file)
    one_line(err, arch_file, 'malformed JSON', 'line 1')


def test_checkpoint_from_another_space(tmp_path):
    src = SparseSuperNet(**DEMO)
    ckpt = str(tmp_path / 'supernet.pth')
    torch.save({'state_dict': {f'backbone.{k}': v for k, v in
                               src.state_dict().items()}}, ckpt)
    ok = SparseSuperNet(**DEMO, init_cfg=dict(
        type='Pretrained', checkpoint=ckpt, prefix='backbone.'))
    ok.init_weights()
    for k, v in src.state_dict().items():
        assert torch.equal(ok.state_dict()[k], v)
    other = SparseSuperNet(**{**DEMO, 'edge_seed': 5,
                              'stages': [(2, 24, 2), (4, 32, 2)]},
                           init_cfg=dict(type='Pretrained', checkpoint=ckpt,
                                         prefix='backbone.'))
    with pytest.raises(ValueError) as err:
        other.init_weights()
    one_line(err, ckpt, 'backbone.space_id', 'another search space')
    with pytest.raises(ValueError) as err:
        SparseSuperNet(**DEMO, init_cfg=dict(
            type='Pretrained', checkpoint=ckpt, prefix='head.')).init_weights()
    one_line(err, ckpt, "'head.'")


def test_export_with_weights_of_another_arch_isone_line(arch_file,
                                                         tmp_path):
    """tools/deploy/export_onnx.py --weights of another arch: one line
    naming the file and the tensor, not torch's multi-line load error."""
    import os.path as osp
    import subprocess
    import sys

    from conftest import ROOT
    other = SparseSuperNet(**DEMO)
    ops = [ly['op'] for ly in load_arch(arch_file)['layers']]
    seed = 3
    arch = other.sample_arch(np.random.default_rng(seed))
    while [ly['op'] for ly in arch['layers']] == ops:  # other tensors
        seed += 1
        arch = other.sample_arch(np.random.default_rng(seed))
    weights = str(tmp_path / 'other.pth')
    torch.save({'state_dict': TransNASNet(arch).state_dict()}, weights)
    out = str(tmp_path / 'net.onnx')
    proc = subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools', 'deploy', 'export_onnx.py'),
         '--arch', arch_file, '--weights', weights, '--shape', '1', '3',
         '32', '32', '--out', out], capture_output=True, text=True,
        timeout=300)
    assert proc.returncode != 0
    err = proc.stderr.strip().splitlines()
    assert err and 'Traceback' not in proc.stderr, proc.stderr[-2000:]
    assert weights in err[-1] and 'layers.' in err[-1], err[-1]
    assert not osp.exists(out)


def test_rank_study_refuses_a_shared_run_of_one(tmp_path):
    """tools/analysis/rank_study.py --proxy-shared 1: one line naming the
    option and what a search accepts for proxy.share, before any output."""
    import os.path as osp
    import subprocess
    import sys

    from conftest import ROOT
    out = str(tmp_path / 'study')
    proc = subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools', 'analysis', 'rank_study.py'),
         '--proxy-shared', '1', '--out', out], capture_output=True,
        text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 2
    last = proc.stderr.strip().splitlines()[-1]
    assert '--proxy-shared: proxy.share: expected 0 (off)' in last, last
    assert 'got 1' in last and 'Traceback' not in proc.stderr
    assert not osp.exists(out)


@pytest.mark.parametrize('args,option', [(['--seeds', '0'], '--seeds'),
                                         (['--seeds', 'two'], '--seeds'),
                                         (['--rank-seeds', '0'],
                                          '--rank-seeds')])
def test_run_demo_refuses_out_of_range_counts(args, option, tmp_path):
    """argparse's usage error naming the option, before any step runs."""
    import os.path as osp
    import subprocess
    import sys

    from conftest import ROOT
    out = str(tmp_path / 'report')
    proc = subprocess.run([sys.executable, osp.join(ROOT, 'tools',
                                                    'run_demo.py'),
                           '--out', out, *args], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert option in last and 'expected an integer >=' in last, last
    assert 'Traceback' not in proc.stderr and not osp.exists(out)


def test_truncated_work_dir_json_names_the_file(tmp_path):
    """A timing.json cut short (a kill, a full disk): one line naming the
    file and how to recover, not a bare JSONDecodeError."""
    from transnas_mm.search.core.timing import read_timing
    from transnas_mm.search.outputs.names import TIMING
    path = tmp_path / TIMING
    path.write_text('{"adapt": 97.2, "arch"')
    with pytest.raises(ValueError) as err:
        read_timing(str(tmp_path))
    one_line(err, str(path), 'malformed JSON', 'delete it and rerun')
    # every other work_dir JSON a rerun reads back goes through the same
    # helper: a resume's recorded inputs, a row's start digest, a variant's
    # done file
    from mmengine.config import Config

    from transnas_mm.comparison.start_digest import (DIGEST_FILE,
                                                     read_start_digest)
    from transnas_mm.comparison.variant import settle
    from transnas_mm.utils.run_inputs import INPUTS_FILE, check_run_inputs
    cut = '{"model.backbone": {"path"'
    (tmp_path / INPUTS_FILE).write_text(cut)
    with pytest.raises(ValueError) as err:
        check_run_inputs(Config(dict(work_dir=str(tmp_path), model={})),
                         resuming=True)
    one_line(err, str(tmp_path / INPUTS_FILE), 'delete it and rerun')
    (tmp_path / DIGEST_FILE).write_text(cut)
    with pytest.raises(ValueError) as err:
        read_start_digest(str(tmp_path))
    one_line(err, str(tmp_path / DIGEST_FILE), 'delete it and rerun')
    (tmp_path / 'search.reused.json').write_text(cut)
    (tmp_path / 'search.done').write_text('{"seconds": 1}')
    with pytest.raises(ValueError) as err:
        settle(str(tmp_path), 'search')
    one_line(err, str(tmp_path / 'search.reused.json'), 'malformed JSON')
