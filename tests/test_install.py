"""The installed stack: mmcv with compiled ops beside current torch, a
clean `pip check`, and mim (`mim list`, `mim train`, `mim test`)."""
import json
import os
import os.path as osp
import re
import subprocess
import sys

import torch

from conftest import CONFIGS, ROOT


def test_stack_imports_and_mmcv_ops_run():
    import mmdet
    import mmpretrain
    from mmcv.ops import RoIAlign, nms

    import transnas_mm
    assert mmdet.__version__ == '3.3.0'
    assert mmpretrain.__version__ == '1.2.0'
    assert transnas_mm.__version__
    boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.],
                          [20., 20., 30., 30.]])
    _, keep = nms(boxes, torch.tensor([0.9, 0.8, 0.7]), 0.5)
    assert keep.tolist() == [0, 2]
    feats = torch.arange(64.).reshape(1, 1, 8, 8)
    rois = torch.tensor([[0., 0., 0., 4., 4.]])
    out = RoIAlign((2, 2), spatial_scale=1.0, sampling_ratio=2)(feats, rois)
    assert out.shape == (1, 1, 2, 2)
    # mean of the top-left 4x4 window region, bilinearly sampled
    assert 0 < out.mean().item() < 30


# -- the environment `make install` leaves, and mim as a supported path ----

BIN = osp.dirname(sys.executable)


def _run(cmd, **kw) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert proc.returncode == 0, (cmd, proc.stdout[-3000:],
                                  proc.stderr[-3000:])
    return proc.stdout


def test_pip_check_is_clean():
    """torch's setuptools>=77.0.3 holds (mmcv was built with an older one
    in its own step) and mim's dependencies do not pin it back."""
    out = _run([sys.executable, '-m', 'pip', 'check',
                '--disable-pip-version-check'])
    assert 'No broken requirements' in out


def test_mim_install_editable_is_clean():
    """`mim install -e .` (how an OpenMMLab user installs a plugin from a
    checkout) in the installed environment: rc 0, no ERROR line and no
    traceback (mim 0.3.7 + the pip of requirements/pip.txt)."""
    proc = subprocess.run([osp.join(BIN, 'mim'), 'install', '-e', '.'],
                          capture_output=True, text=True, timeout=600,
                          cwd=ROOT)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert 'Traceback' not in out and 'ERROR' not in out, out[-3000:]
    assert 'Successfully installed transnas' in out, out[-3000:]
    # still the egg-link mim locates (`mim list` / `train` / `test` below),
    # found without the PYTHONPATH that conftest sets for launched tools
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    assert _run([sys.executable, '-c', 'import transnas_mm; print('
                 'transnas_mm.__file__)'], env=env, cwd='/').startswith(
                     osp.join(ROOT, ''))


def test_mim_lists_the_plugin():
    out = _run([osp.join(BIN, 'mim'), 'list'])
    # mim shows the distribution name, normalised: transnas-mm
    assert re.search(r'^transnas[-_]mm\s+\d', out, re.M), out


def test_mim_train_and_test_on_demo_data(demo_root, tmp_path):
    cub = osp.join(demo_root, 'CUB_200_2011') + '/'
    config = tmp_path / 'mim_cls.py'
    config.write_text(f'''
_base_ = {osp.join(CONFIGS, 'transnas/demo/smoke_cls_cub.py')!r}
train_dataloader = dict(batch_size=8, dataset=dict(data_root={cub!r},
                                                   indices=16))
val_dataloader = dict(dataset=dict(data_root={cub!r}, indices=16))
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=1, val_interval=1)
param_scheduler = []
''')
    work = str(tmp_path / 'work')
    env = dict(os.environ, OMP_NUM_THREADS='1')
    out = _run([osp.join(BIN, 'mim'), 'train', 'transnas_mm', str(config),
                '--gpus', '0', '--work-dir', work], env=env)
    assert osp.isfile(osp.join(work, 'epoch_1.pth')), out[-2000:]
    metrics = str(tmp_path / 'metrics.json')
    _run([osp.join(BIN, 'mim'), 'test', 'transnas_mm', str(config),
          '--checkpoint', osp.join(work, 'epoch_1.pth'), '--gpus', '0',
          '--work-dir', str(tmp_path / 'test'), '--out-metrics', metrics],
         env=env)
    assert 0.0 <= json.load(open(metrics))['accuracy/top1'] <= 100.0
