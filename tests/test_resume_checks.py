"""A resume notices what changed (the search split, the source checkpoint),
a state whose candidates all failed starts again, calibration the data
cannot honour is refused, one run per work_dir, a save that fails names
the file and the OS cause, and an arch of another space given to
WeightSearchHook is refused before any adaptation. Real Runner on the demo
CUB target; tools/train.py subprocesses where the check lives there."""
import json
import os
import os.path as osp
import shutil
import subprocess
import sys

import pytest
from mmengine.runner import Runner

from conftest import ROOT, demo_cfg, one_line
from transnas_mm import SparseSuperNet
from transnas_mm.search import WORST
from transnas_mm.space import reference_arch, save_arch
from transnas_mm.utils.run_inputs import INPUTS_FILE, check_run_inputs
from transnas_mm.utils.work_dir_lock import hold_work_dir, release_work_dir

ARCH_HOOK = dict(type='transnas_mm.ArchSearchHook',
                 metric_key='accuracy/top1',
                 search=dict(population=2, generations=1, top_k=1),
                 input_shape=(3, 48, 48), calibrate_batches=1,
                 noise_repeats=0, fitness='inherited', proxy=None)
TINY_CUB = {
    'train_dataloader.dataset.indices': 32,
    'train_dataloader.batch_size': 16,
    'val_dataloader.dataset.indices': 24,
    'train_cfg.max_epochs': 0,
    'param_scheduler': [],
}
TRAIN = osp.join(ROOT, 'tools', 'train.py')


def _cfg(demo_root, source_ckpt, work, hooks, **options):
    return demo_cfg('transnas/demo/cub_search.py', demo_root, str(work),
                    source_ckpt, {**TINY_CUB, 'custom_hooks': hooks,
                                  **options})


def test_resume_on_other_search_data_is_refused_and_failed_state_restarts(
        demo_root, source_ckpt, tmp_path):
    Runner.from_cfg(_cfg(demo_root, source_ckpt, tmp_path,
                         [ARCH_HOOK])).train()
    state_path = tmp_path / 'search' / 'search_state.json'
    state = json.loads(state_path.read_text())
    assert state['extra']['search_data'] and state['extra']['source']
    # other images in the search split, same count: refused by name
    other = _cfg(demo_root, source_ckpt, tmp_path, [ARCH_HOOK],
                 **{'val_dataloader.dataset.indices': list(range(1, 25))})
    with pytest.raises(ValueError) as err:
        Runner.from_cfg(other).train()
    one_line(err, str(state_path), 'extra.search_data',
              "search split's images or labels changed")
    # a state whose candidates all failed (a broken image, since fixed) is
    # not resumed: the search starts again and scores every candidate
    for cand in state['history']:
        cand.update(status='failed', score=WORST, reason='broken image')
    state_path.write_text(json.dumps(state))
    Runner.from_cfg(_cfg(demo_root, source_ckpt, tmp_path,
                         [ARCH_HOOK])).train()
    again = json.loads(state_path.read_text())
    assert again['history'] and all(c['status'] == 'ok'
                                    for c in again['history'])
    assert (tmp_path / 'search' / 'arch.json').is_file()


def test_state_saved_before_a_setting_was_recorded_still_resumes(
        demo_root, source_ckpt, tmp_path):
    """A state saved before ``proxy_share`` was recorded resumes as one
    without sharing (what it ran), instead of being refused."""
    hook = dict(ARCH_HOOK, fitness='proxy', proxy=dict(iters=1, lr=0.05))
    Runner.from_cfg(_cfg(demo_root, source_ckpt, tmp_path, [hook])).train()
    state_path = tmp_path / 'search' / 'search_state.json'
    state = json.loads(state_path.read_text())
    assert state['extra'].pop('proxy_share') == 0
    state_path.write_text(json.dumps(state))
    log = (tmp_path / 'search' / 'search_log.jsonl').read_text()
    Runner.from_cfg(_cfg(demo_root, source_ckpt, tmp_path, [hook])).train()
    assert json.loads(state_path.read_text())['history'] == \
        state['history']
    assert (tmp_path / 'search' / 'search_log.jsonl').read_text() == log


def test_state_saved_before_the_head_start_default_says_how_to_resume(
        demo_root, source_ckpt, tmp_path):
    """A search saved with the adapted heads (the default before
    head_start=None meant 'auto') is refused by the new default, with the
    setting that resumes it; that setting resumes it."""
    hook = dict(ARCH_HOOK, fitness='proxy', proxy=dict(iters=1, lr=0.05))
    Runner.from_cfg(_cfg(demo_root, source_ckpt, tmp_path,
                         [dict(hook, head_start='adapted')])).train()
    state_path = tmp_path / 'search' / 'search_state.json'
    state = json.loads(state_path.read_text())
    # as a release before head_start was recorded saved it
    assert state['extra'].pop('head_start') == 'adapted'
    state_path.write_text(json.dumps(state))
    with pytest.raises(ValueError) as err:
        Runner.from_cfg(_cfg(demo_root, source_ckpt, tmp_path,
                             [hook])).train()
    one_line(err, 'extra.head_start', "used 'adapted', this run 'auto'",
             "head_start='adapted' resumes")
    assert not (tmp_path / 'search' / 'head_start.json').exists()
    Runner.from_cfg(_cfg(demo_root, source_ckpt, tmp_path,
                         [dict(hook, head_start='adapted')])).train()
    assert json.loads(state_path.read_text())['history'] == \
        state['history']


def test_calibration_larger_than_the_data_is_refused_before_training(
        demo_root, source_ckpt, tmp_path):
    hook = dict(ARCH_HOOK, calibrate_batches=3)  # 32 samples / 16 = 2
    runner = Runner.from_cfg(_cfg(demo_root, source_ckpt, tmp_path, [hook],
                                  **{'train_cfg.max_epochs': 1}))
    with pytest.raises(ValueError) as err:
        runner.train()
    one_line(err, 'ArchSearchHook: calibrate_batches', '3 asked',
              '32 samples, batch size 16', 'holds 2')
    assert runner.iter == 0


def test_weight_search_arch_of_another_space_is_refused_before_training(
        demo_root, source_ckpt, tmp_path):
    other = SparseSuperNet(stages=[(2, 24, 2), (3, 32, 2)],
                           candidates=['mb_k3e3', 'skip'], stem_channels=16)
    arch = str(tmp_path / 'other.json')
    save_arch(reference_arch(other.space), arch)
    hook = dict(type='transnas_mm.WeightSearchHook', arch=arch,
                metric_key='accuracy/top1', input_shape=(3, 48, 48),
                calibrate_batches=1, heldout=False, noise_repeats=0,
                proxy=None)
    runner = Runner.from_cfg(_cfg(demo_root, source_ckpt, tmp_path / 'w',
                                  [hook], **{'train_cfg.max_epochs': 1}))
    with pytest.raises(ValueError) as err:
        runner.train()
    one_line(err, 'WeightSearchHook: arch', arch)
    assert runner.iter == 0


# -- tools/train.py: the source checkpoint and the work_dir lock ------------

def test_changed_source_checkpoint_refuses_the_resume(demo_root,
                                                      source_ckpt, tmp_path):
    src = str(tmp_path / 'source.pth')
    shutil.copy(source_ckpt, src)
    cfg = _cfg(demo_root, src, tmp_path / 'w', [ARCH_HOOK])
    check_run_inputs(cfg, resuming=False)
    saved = json.load(open(tmp_path / 'w' / INPUTS_FILE))
    field = 'model.backbone.init_cfg.checkpoint'
    assert saved[field]['path'] == src
    check_run_inputs(cfg, resuming=True)  # same file: fine
    with open(src, 'ab') as f:
        f.write(b'another source')
    with pytest.raises(ValueError) as err:
        check_run_inputs(cfg, resuming=True)
    one_line(err, field, src, 'not the checkpoint this work_dir started')
    check_run_inputs(cfg, resuming=False)  # a fresh start records anew

    # wired into tools/train.py: refused before anything is built
    config = str(tmp_path / 'search.py')
    cfg.dump(config)
    with open(tmp_path / 'w' / INPUTS_FILE, 'w') as f:
        json.dump({field: dict(path=src, sha256='0' * 16)}, f)
    ckpt = tmp_path / 'w' / 'epoch_1.pth'
    shutil.copy(source_ckpt, ckpt)
    (tmp_path / 'w' / 'last_checkpoint').write_text(str(ckpt))
    proc = subprocess.run([sys.executable, TRAIN, config, '--resume'],
                          cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode != 0
    assert 'Traceback' not in proc.stderr, proc.stderr[-2000:]
    assert field in proc.stderr and 'not the checkpoint' in proc.stderr


def test_second_run_in_a_held_work_dir_is_refused(demo_root, source_ckpt,
                                                  tmp_path):
    work = str(tmp_path / 'w')
    hold_work_dir(work)
    try:
        assert hold_work_dir(work)  # re-entrant in the owner
        # another process cannot take it
        code = ('import sys; from transnas_mm.utils.work_dir_lock import *\n'
                'try:\n    hold_work_dir(sys.argv[1])\n'
                'except WorkDirBusy as e:\n    print(e); sys.exit(3)\n')
        proc = subprocess.run([sys.executable, '-c', code, work],
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 3, proc.stderr
        assert f'pid {os.getpid()}' in proc.stdout
        # tools/train.py refuses, one line, before building anything
        config = str(tmp_path / 'search.py')
        _cfg(demo_root, source_ckpt, work, [ARCH_HOOK]).dump(config)
        proc = subprocess.run([sys.executable, TRAIN, config], cwd=ROOT,
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode != 0
        assert 'another run' in proc.stderr and \
            'Traceback' not in proc.stderr, proc.stderr[-2000:]
        assert not osp.exists(osp.join(work, 'search'))
    finally:
        release_work_dir(work)
    # released (or its owner gone): the next run takes it
    proc = subprocess.run([sys.executable, '-c', code, work],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_failed_save_names_the_file_and_the_os_cause(tmp_path):
    """A real write failure (a file size limit: EFBIG, as a full disk gives
    ENOSPC) while a checkpoint and a JSON replace older ones."""
    code = '''
import resource, signal, sys, torch
from transnas_mm.utils.atomic_io import atomic_torch_save, atomic_write_json
ckpt, js = sys.argv[1], sys.argv[2]
atomic_torch_save({'w': torch.ones(4)}, ckpt)
atomic_write_json(js, {'old': True})
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 16, 1 << 16))
for save in (lambda: atomic_torch_save({'w': torch.ones(1 << 16)}, ckpt),
             lambda: atomic_write_json(js, {'big': 'x' * (1 << 17)})):
    try:
        save()
    except OSError as e:
        print('ERR', e)
'''
    ckpt, js = str(tmp_path / 'subnet.pth'), str(tmp_path / 'summary.json')
    proc = subprocess.run([sys.executable, '-c', code, ckpt, js],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    errors = [ln for ln in proc.stdout.splitlines() if ln.startswith('ERR')]
    assert len(errors) == 2, proc.stdout
    for line, path in zip(errors, (ckpt, js)):
        assert path in line and 'File too large' in line, line
        assert 'left as it was' in line
    import torch
    assert torch.load(ckpt)['w'].numel() == 4  # the old file, intact
    assert json.load(open(js)) == {'old': True}
    assert sorted(os.listdir(tmp_path)) == ['subnet.pth', 'summary.json']
