"""MMEngine checkpoints load and resume under torch >= 2.6 without
switching ``weights_only`` off, and foreign pickled objects are refused."""
import copy
import os.path as osp
import zipfile

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.runner import Runner

from conftest import demo_cfg
from transnas_mm.utils import UnsafeCheckpointError, safe_torch_load

CFG = 'transnas/demo/smoke_cls_source.py'


def _small(epochs: int) -> dict:
    return {
        'train_dataloader.dataset.indices': 64,
        'train_dataloader.batch_size': 16,
        'val_dataloader.dataset.indices': 32,
        'train_cfg.max_epochs': epochs,
        'param_scheduler': dict(type='MultiStepLR', by_epoch=True,
                                milestones=[1]),
    }


class CaptureAtStart(Hook):
    """Records what the runner holds when training (re)starts."""

    def before_train(self, runner) -> None:
        self.iter = runner.iter
        self.epoch = runner.epoch
        self.optim = copy.deepcopy(runner.optim_wrapper.state_dict())
        self.weights = {k: v.clone()
                        for k, v in runner.model.state_dict().items()}


@pytest.fixture(scope='module')
def first_run(demo_root, tmp_path_factory):
    work = str(tmp_path_factory.mktemp('resume'))
    Runner.from_cfg(demo_cfg(CFG, demo_root, work,
                             options=_small(1))).train()
    return work


def test_resume_restores_iter_optimizer_and_weights(demo_root, first_run):
    ckpt = safe_torch_load(osp.join(first_run, 'epoch_1.pth'))
    capture = CaptureAtStart()
    cfg = demo_cfg(CFG, demo_root, first_run, options=_small(2))
    cfg.resume = True
    runner = Runner.from_cfg(cfg)
    runner.register_hook(capture)
    runner.train()
    assert capture.iter == ckpt['meta']['iter'] == 4
    assert capture.epoch == 1
    saved = ckpt['optimizer']['state']
    assert saved, 'SGD momentum buffers expected in the checkpoint'
    for key, state in saved.items():
        assert torch.equal(capture.optim['state'][key]['momentum_buffer'],
                           state['momentum_buffer'])
    for key, value in ckpt['state_dict'].items():
        assert torch.equal(capture.weights[key], value), key
    assert runner.iter == 8 and runner.epoch == 2
    # the message hub (numpy arrays, HistoryBuffer) was restored too
    assert len(runner.message_hub.get_scalar('train/loss').data[0]) > 4


def test_load_from_loads_weights(demo_root, first_run, tmp_path):
    capture = CaptureAtStart()
    cfg = demo_cfg(CFG, demo_root, str(tmp_path), options=_small(1))
    cfg.load_from = osp.join(first_run, 'epoch_1.pth')
    runner = Runner.from_cfg(cfg)
    runner.register_hook(capture)
    runner.train()
    ckpt = safe_torch_load(cfg.load_from)
    assert capture.iter == 0
    for key, value in ckpt['state_dict'].items():
        assert torch.equal(capture.weights[key], value), key


class _Payload:
    """Would run a command when unpickled."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        import os
        return (os.system, (f'touch {self.marker}', ))


def test_checkpoint_with_payload_is_refused(demo_root, first_run, tmp_path):
    marker = str(tmp_path / 'pwned')
    ckpt = safe_torch_load(osp.join(first_run, 'epoch_1.pth'))
    ckpt['meta']['evil'] = _Payload(marker)
    evil = str(tmp_path / 'evil.pth')
    torch.save(ckpt, evil)
    cfg = demo_cfg(CFG, demo_root, str(tmp_path / 'w'), options=_small(1))
    cfg.load_from = evil
    with pytest.raises(UnsafeCheckpointError) as err:
        Runner.from_cfg(cfg).train()
    msg = str(err.value)
    assert '\n' not in msg and evil in msg and 'system' in msg
    assert not osp.exists(marker)


def test_numpy1_checkpoint_names_load(first_run, tmp_path):
    """Checkpoints pickled under numpy 1 name ``numpy.core.multiarray``,
    under numpy 2 ``numpy._core.multiarray``: each stack loads both (the
    checkpoint this stack wrote, renamed to the other numpy's module)."""
    src = osp.join(first_run, 'epoch_1.pth')
    old = str(tmp_path / 'other_numpy.pth')
    names = (b'numpy._core.multiarray', b'numpy.core.multiarray')
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(old, 'w') as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename.endswith('data.pkl'):
                ours, theirs = names if names[0] in data else names[::-1]
                assert ours in data and theirs not in data
                data = data.replace(ours, theirs)
            zout.writestr(item, data)
    a, b = safe_torch_load(src), safe_torch_load(old)
    hub_a = a['message_hub']['log_scalars']['train/loss']
    hub_b = b['message_hub']['log_scalars']['train/loss']
    assert (hub_a.data[0] == hub_b.data[0]).all()


def test_train_resume_flag_keeps_load_from_until_a_checkpoint_exists(
        demo_root, first_run, tmp_path):
    """`tools/train.py --resume` on a fresh work_dir starts from load_from
    (a finetune from searched weights); on a second call it resumes."""
    import subprocess
    import sys

    from conftest import ROOT
    src = osp.join(demo_root, 'source') + '/'
    cfg = tmp_path / 'cfg.py'
    cfg.write_text(f'''
_base_ = {osp.join(ROOT, 'configs', CFG)!r}
train_dataloader = dict(batch_size=16, dataset=dict(data_root={src!r},
                                                    indices=32))
val_dataloader = dict(dataset=dict(data_root={src!r}, indices=16))
train_cfg = dict(max_epochs=1)
param_scheduler = []
load_from = {osp.join(first_run, 'epoch_1.pth')!r}
''')
    work = tmp_path / 'work'
    cmd = [sys.executable, osp.join(ROOT, 'tools', 'train.py'), str(cfg),
           '--work-dir', str(work), '--resume']
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    log = out.stdout + out.stderr
    assert 'Load checkpoint from' in log and 'epoch_1.pth' in log
    assert 'Resumed' not in log
    again = subprocess.run(cmd[:-1] + ['--resume'], cwd=ROOT,
                           capture_output=True, text=True)
    assert again.returncode == 0
    assert 'resumed' in (again.stdout + again.stderr).lower()
