"""A search variant's bookkeeping (``run_demo.py --reuse``): what is kept
from the earlier run, what is dropped, and the time charged. The variant
run through the real pipeline is in ``test_demo_pipeline.py``."""
import json
import os
import os.path as osp
import re

import pytest

from transnas_mm.comparison.rows import ROWS, table_rows
from transnas_mm.comparison.variant import (check_search_options, reuse_run,
                                            settle)


def write(path, obj):
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(obj if isinstance(obj, str) else json.dumps(obj))


def finished_run(root):
    """The files of a finished 1-seed run of target 'photos'."""
    prev = osp.join(root, 'prev')
    write(osp.join(prev, 'supernet_source.pth'), 'weights')
    write(osp.join(prev, 'source.done'), dict(seconds=300))
    write(osp.join(prev, 'static_source', 'last_checkpoint'), 'x.pth')
    base = osp.join(prev, 'photos')
    write(osp.join(base, 'search.done'), dict(seconds=100.0))
    write(osp.join(base, 'search', 'epoch_1.pth'), 'adapted')
    write(osp.join(base, 'search', 'last_checkpoint'),
          osp.join(base, 'search', 'epoch_1.pth'))
    found = osp.join(base, 'search', 'search')
    write(osp.join(found, 'timing.json'),
          dict(adapt=10.0, arch=50.0, weights=30.0))
    for name in ('search_state.json', 'search_log.jsonl', 'arch.json',
                 'nws_state.json', 'nws_log.jsonl', 'subnet_model.pth',
                 'weight_sources.json', 'finetune.py'):
        write(osp.join(found, name), name)
    for row in ('scratch', 'random', 'nas_plain', 'nas_source', 'nas_nws'):
        write(osp.join(base, f'{row}_seed0', 'heldout.json'), {'m': 1.0})
    write(osp.join(base, 'rank_study', 'signals.json'), {})
    return prev


def step_ran(base, seconds, timing):
    """What the resumed search step leaves: its done file and times."""
    write(osp.join(base, 'search.done'), dict(seconds=seconds))
    write(osp.join(base, 'search', 'search', 'timing.json'), timing)


def read(path):
    with open(path) as f:
        return json.load(f)


def test_rerun_weights(tmp_path):
    prev = finished_run(str(tmp_path))
    out = str(tmp_path / 'variant')
    reuse_run(prev, out, ['photos'], 'weights')
    assert osp.islink(osp.join(out, 'supernet_source.pth'))
    assert osp.islink(osp.join(out, 'static_source'))
    base = osp.join(out, 'photos')
    # rows without a search kept; the NAS rows (the extra one too: its
    # arch is the search's) and the rank study dropped
    assert sorted(os.listdir(base)) == [
        'random_seed0', 'scratch_seed0', 'search', 'search.reused.json']
    found = osp.join(base, 'search', 'search')
    assert sorted(os.listdir(found)) == [
        'arch.json', 'search_log.jsonl', 'search_state.json', 'timing.json']
    assert read(osp.join(found, 'timing.json')) == dict(
        adapt=10.0, arch=50.0, weights=0.0)
    # the copy resumes from its own adaptation checkpoint
    with open(osp.join(base, 'search', 'last_checkpoint')) as f:
        assert f.read() == osp.join(base, 'search', 'epoch_1.pth')
    # the step ran: a resume's overhead on top of the kept parts, the
    # weight search's new 20 s
    step_ran(base, 45.0, dict(adapt=12.0, arch=53.0, weights=20.0))
    settle(base, 'search')
    assert read(osp.join(found, 'timing.json')) == dict(
        adapt=10.0, arch=50.0, weights=20.0)
    # what a fresh run of the variant pays: 100 - 30 + 20
    assert read(osp.join(base, 'search.done'))['seconds'] == 90.0
    assert not osp.exists(osp.join(base, 'search.reused.json'))
    settle(base, 'search')  # once settled, a no-op
    assert read(osp.join(base, 'search.done'))['seconds'] == 90.0
    # a second call keeps the copy (the variant resumes, not restarts)
    reuse_run(prev, out, ['photos'], 'weights')
    assert read(osp.join(base, 'search.done'))['seconds'] == 90.0


def test_rerun_searches(tmp_path):
    prev = finished_run(str(tmp_path))
    out = str(tmp_path / 'variant')
    reuse_run(prev, out, ['photos'], 'searches')
    base = osp.join(out, 'photos')
    found = osp.join(base, 'search', 'search')
    assert os.listdir(found) == ['timing.json']
    assert read(osp.join(found, 'timing.json')) == dict(
        adapt=10.0, arch=0.0, weights=0.0)
    # the earlier run is left as it was
    assert osp.isfile(osp.join(prev, 'photos', 'search.done'))
    assert osp.isfile(osp.join(prev, 'photos', 'search', 'search',
                               'arch.json'))
    step_ran(base, 70.0, dict(adapt=12.0, arch=40.0, weights=25.0))
    settle(base, 'search')
    assert read(osp.join(found, 'timing.json')) == dict(
        adapt=10.0, arch=40.0, weights=25.0)
    assert read(osp.join(base, 'search.done'))['seconds'] == 85.0


def test_bad_reuse(tmp_path):
    with pytest.raises(FileNotFoundError, match='--reuse: .*no such folder'):
        reuse_run(str(tmp_path / 'nope'), str(tmp_path / 'v'), ['photos'],
                  'weights')
    prev = finished_run(str(tmp_path))
    with pytest.raises(FileNotFoundError,
                       match=r'--reuse: .*cub: no finished search step'):
        reuse_run(prev, str(tmp_path / 'v'), ['cub'], 'weights')
    with pytest.raises(ValueError, match="--rerun: expected one of"):
        reuse_run(prev, str(tmp_path / 'v'), ['photos'], 'arch')
    # nothing half-written for the refused target
    assert not osp.exists(str(tmp_path / 'v' / 'cub'))
    assert not osp.exists(str(tmp_path / 'v' / 'cub.tmp'))


def test_search_options_are_search_settings():
    # search settings of either hook pass
    check_search_options(['custom_hooks.ArchSearchHook.search.generations=2',
                          'custom_hooks.WeightSearchHook.proxy.iters=60'])
    bad = {
        'proxy.iters=60': 'expected a key under custom_hooks.ArchSearchHook',
        'model.backbone.warmup_iters=1': 'changes search settings only',
        'custom_hooks.ArchSearchHook.search.generations':
        'expected KEY=VALUE',
        # these change what other rows get, or the per-seed search seed
        'custom_hooks.ArchSearchHook.constraints.flops=(0,4e6)':
        "random row draws under the config's constraints",
        'custom_hooks.ArchSearchHook.input_shape=(3,64,64)':
        'input_shape',
        'custom_hooks.WeightSearchHook.finetune.train_cfg.max_epochs=3':
        'every row trains with the finetune',
        'custom_hooks.WeightSearchHook.seed=3': 'use --seeds N',
    }
    for opt, why in bad.items():
        # after an accepted entry (a hook field that only starts like
        # 'seed'): each entry is checked, not just the first
        with pytest.raises(ValueError, match=r'^--search-options: .*' +
                           re.escape(why)):
            check_search_options(['custom_hooks.ArchSearchHook.seed_x=1',
                                  opt])


def test_extra_rows_come_after_the_goals_rows():
    assert table_rows() == ROWS
    rows = table_rows(['nas_source'])
    assert rows[:len(ROWS)] == ROWS and rows[-1].key == 'nas_source'
    # its arch comes from the search on the adapted supernet: it pays the
    # adaptation, though its weights are the source's
    assert rows[-1].adapted and rows[-1].backbone_only
    # the DetNAS-style row: the searched arch, its own source training;
    # it pays the adaptation and the arch search too
    rows = table_rows(['nas_retrain', 'nas_source'])
    assert [r.key for r in rows[len(ROWS):]] == ['nas_source', 'nas_retrain']
    assert rows[-1].adapted and rows[-1].backbone_only and \
        rows[-1].search == 'nas'
    with pytest.raises(ValueError, match=r"extra rows: expected keys among "
                       r"\['nas_source', 'nas_retrain'\], got \['nws'\]"):
        table_rows(['nws'])


def _own_target(root, name, seed):
    """A classification folder pair and its new_target config."""
    import numpy as np
    from PIL import Image

    from test_data_checks import _new_target
    rng = np.random.default_rng(seed)
    for split in ('train', 'val'):
        for k in range(2):
            folder = osp.join(root, name, split, f'c{k}')
            os.makedirs(folder)
            for i in range(4):
                Image.fromarray(rng.integers(0, 255, (16, 16, 3),
                                             dtype=np.uint8)).save(
                    osp.join(folder, f'{i}.png'))
    out = osp.join(root, f'{name}.py')
    proc = _new_target('cls', '--train', osp.join(root, name, 'train'),
                       '--val', osp.join(root, name, 'val'), '--image-size',
                       '32', '--out', out)
    assert proc.returncode == 0, proc.stderr
    return out


def test_reuse_of_another_targets_run_is_refused(tmp_path):
    """--reuse PREV made for target config A, given target config B (other
    images, same class count): refused in one line naming the field,
    before anything is copied; the same config with the same source is
    accepted (and a renamed copy of it too)."""
    import subprocess
    import sys

    from conftest import ROOT
    from transnas_mm.comparison.run_identity import (check_identity,
                                                     record_identity,
                                                     target_identity)
    a = _own_target(str(tmp_path), 'a', 0)
    b = _own_target(str(tmp_path), 'b', 1)
    source = tmp_path / 'source.pth'
    source.write_bytes(b'weights')
    prev = tmp_path / 'prev'
    record_identity(str(prev / 'own'), target_identity(a, str(source), False,
                                                       ROOT))
    write(str(prev / 'own' / 'search.done'), dict(seconds=1.0))
    out = tmp_path / 'variant'
    proc = subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools', 'run_demo.py'),
         '--target-config', b, '--source', str(source), '--reuse', str(prev),
         '--rerun', 'weights', '--out', str(out)], cwd=ROOT,
        capture_output=True, text=True, timeout=300)
    err = proc.stderr.strip()
    assert proc.returncode != 0 and 'Traceback' not in err, err
    assert len(err.splitlines()) == 1, err
    assert '--reuse' in err and 'data: train_dataloader' in err, err
    assert str(prev / 'own') in err and b in err, err
    assert not osp.exists(out / 'own')
    # the same target (renamed config) is accepted; another source is not
    renamed = str(tmp_path / 'a_copy.py')
    with open(a) as f, open(renamed, 'w') as g:
        g.write(f.read())
    check_identity(str(prev / 'own'), target_identity(
        renamed, str(source), False, ROOT), '--reuse PREV')
    other = tmp_path / 'other.pth'
    other.write_bytes(b'other weights')
    with pytest.raises(ValueError, match=r'--reuse PREV: .* source is'):
        check_identity(str(prev / 'own'), target_identity(
            a, str(other), False, ROOT), '--reuse PREV')
    # another adaptation of the same data (here: the backbone keeps its
    # pretrained chain) is another target run
    from mmengine.config import Config
    changed = str(tmp_path / 'a_keep.py')
    cfg = Config.fromfile(a)
    cfg.model.backbone.keep_reference = True
    cfg.dump(changed)
    with pytest.raises(ValueError, match=r'--reuse PREV: .* adaptation is'):
        check_identity(str(prev / 'own'), target_identity(
            changed, str(source), False, ROOT), '--reuse PREV')
    with pytest.raises(ValueError, match=r'quick is False there'):
        check_identity(str(prev / 'own'), target_identity(
            a, str(source), True, ROOT), '--reuse PREV')
    # a run that records no identity cannot be checked: refused
    with pytest.raises(ValueError, match=r'identity.json: not found'):
        check_identity(str(tmp_path / 'old'), target_identity(
            a, str(source), False, ROOT), '--reuse OLD')
