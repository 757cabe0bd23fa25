"""Reliability: crash-safe checkpoint rotation, searches that refuse a
diverged network or a wrong objective, resume that checks what it resumes,
and one clear line for each bad input."""
import glob
import json
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmengine.runner.checkpoint import load_checkpoint

from conftest import demo_cfg, one_line
from transnas_mm import SparseSuperNet, TransNASNet
from transnas_mm.hooks import ArchSearchHook, WeightSearchHook
from transnas_mm.registry import HOOKS
from transnas_mm.space import reference_arch, save_arch
from transnas_mm.utils import check_data_files, latest_checkpoint
from transnas_mm.utils.atomic_io import TEMP_SUFFIX

SPACE = dict(stages=[(2, 24, 2), (3, 32, 2)],
             candidates=['mb_k3e3', 'mb_k5e6', 'skip'], stem_channels=16)
ARCH_HOOK = dict(type='transnas_mm.ArchSearchHook',
                 metric_key='accuracy/top1',
                 search=dict(population=2, generations=1, top_k=1),
                 input_shape=(3, 48, 48), calibrate_batches=1,
                 noise_repeats=0, fitness='inherited', proxy=None)
NWS_HOOK = dict(type='transnas_mm.WeightSearchHook',
                metric_key='accuracy/top1', mode='evolution',
                search=dict(population=2, generations=1, top_k=1),
                input_shape=(3, 48, 48), calibrate_batches=1,
                heldout=False, noise_repeats=0, proxy=None)
TINY_CUB = {
    'train_dataloader.dataset.indices': 32,
    'train_dataloader.batch_size': 16,
    'val_dataloader.dataset.indices': 32,
    'train_cfg.max_epochs': 0,
    'param_scheduler': [],
}


def _search_cfg(demo_root, source_ckpt, work, hooks, **options):
    return demo_cfg('transnas/demo/cub_search.py', demo_root, str(work),
                    source_ckpt, {**TINY_CUB, 'custom_hooks': hooks,
                                  **options})


# -- 4. checkpoint rotation ------------------------------------------------

@HOOKS.register_module()
class KillAtSave(Hook):
    """Stands in for kill -9 while the checkpoint of ``epoch`` is saved."""

    def __init__(self, epoch: int):
        self.epoch = epoch

    def before_save_checkpoint(self, runner, checkpoint) -> None:
        if checkpoint['meta']['epoch'] == self.epoch:
            # what a killed torch.save leaves: a partial temp file
            with open(osp.join(runner.work_dir, '.epoch_2.pth' +
                               TEMP_SUFFIX), 'wb') as f:
                f.write(b'partial')
            raise KeyboardInterrupt('killed during checkpoint save')


def test_kill_during_checkpoint_rotation_keeps_a_resumable_checkpoint(
        demo_root, tmp_path):
    options = {'train_dataloader.dataset.indices': 16,
               'train_dataloader.batch_size': 8,
               'val_dataloader.dataset.indices': 8,
               'train_cfg.max_epochs': 3, 'train_cfg.val_interval': 10,
               'param_scheduler': [],
               'default_hooks.checkpoint.max_keep_ckpts': 1}
    work = str(tmp_path)
    cfg = demo_cfg('transnas/demo/smoke_cls_cub.py', demo_root, work,
                   options={**options, 'custom_hooks': [
                       dict(type='transnas_mm.KillAtSave', epoch=2)]})
    assert cfg.default_hooks.checkpoint.type == \
        'transnas_mm.AtomicCheckpointHook'
    with pytest.raises(KeyboardInterrupt):
        Runner.from_cfg(cfg).train()
    # the old checkpoint survives the kill, and last_checkpoint names it
    assert latest_checkpoint(work) == osp.join(work, 'epoch_1.pth')
    cfg = demo_cfg('transnas/demo/smoke_cls_cub.py', demo_root, work,
                   options={**options, 'resume': True,
                            'load_from': latest_checkpoint(work)})
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.epoch == 3
    assert sorted(osp.basename(p) for p in glob.glob(work + '/*.pth')) == \
        ['epoch_3.pth']
    assert latest_checkpoint(work) == osp.join(work, 'epoch_3.pth')
    assert not glob.glob(osp.join(work, '.*' + TEMP_SUFFIX))


def test_last_checkpoint_naming_a_deleted_file_is_an_error(tmp_path):
    assert latest_checkpoint(str(tmp_path)) is None  # first run: nothing
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_1.pth'))
    with pytest.raises(FileNotFoundError) as err:
        latest_checkpoint(str(tmp_path))
    one_line(err, 'last_checkpoint', 'epoch_1.pth', 'does not exist')


# -- 2. non-finite networks are never scored or written -------------------

def test_diverged_adaptation_is_refused_before_any_candidate(
        demo_root, source_ckpt, tmp_path):
    cfg = _search_cfg(demo_root, source_ckpt, tmp_path,
                      [ARCH_HOOK, NWS_HOOK],
                      **{'train_cfg.max_epochs': 1,
                         'optim_wrapper.optimizer.lr': 1e12})
    with pytest.raises(FloatingPointError) as err:
        Runner.from_cfg(cfg).train()
    one_line(err, 'ArchSearchHook', 'non-finite', 'diverged')
    out = osp.join(str(tmp_path), 'search')
    for name in ('arch.json', 'search_log.jsonl', 'subnet.pth'):
        assert not osp.exists(osp.join(out, name)), name


def test_diverged_weight_search_proxy_writes_nothing(demo_root, source_ckpt,
                                                     tmp_path):
    arch = str(tmp_path / 'ref.json')
    save_arch(reference_arch(
        Runner.from_cfg(_search_cfg(demo_root, source_ckpt, tmp_path / 'a',
                                    [])).model.backbone.space), arch)
    hook = dict(NWS_HOOK, arch=arch, proxy=dict(iters=2, lr=1e30))
    cfg = _search_cfg(demo_root, source_ckpt, tmp_path / 'w', [hook])
    with pytest.raises(RuntimeError) as err:
        Runner.from_cfg(cfg).train()
    one_line(err, 'WeightSearchHook', 'every candidate failed',
              'non-finite')
    out = tmp_path / 'w' / 'search'
    log = [json.loads(ln) for ln in open(out / 'nws_log.jsonl')]
    assert log and all(r['status'] == 'failed' for r in log)
    for name in ('subnet.pth', 'subnet_model.pth', 'weight_sources.json',
                 'finetune.py'):
        assert not (out / name).exists(), name


# -- 3. the objective: checked at the first candidate and on resume -------

def test_metric_key_typo_stops_at_the_first_candidate(demo_root,
                                                      source_ckpt, tmp_path):
    hook = dict(ARCH_HOOK, metric_key='accuracy/top_1')
    cfg = _search_cfg(demo_root, source_ckpt, tmp_path, [hook, NWS_HOOK])
    with pytest.raises(ValueError) as err:
        Runner.from_cfg(cfg).train()
    one_line(err, "metric_key: 'accuracy/top_1'", "'accuracy/top1'")
    # nothing recorded, so fixing the key starts a fresh search
    assert not osp.exists(osp.join(str(tmp_path), 'search',
                                   'search_state.json'))


def test_resume_with_another_objective_is_refused(demo_root, source_ckpt,
                                                  tmp_path):
    Runner.from_cfg(_search_cfg(demo_root, source_ckpt, tmp_path,
                                [ARCH_HOOK])).train()
    out = osp.join(str(tmp_path), 'search')
    arch = open(osp.join(out, 'arch.json')).read()
    stale = osp.join(out, '.search_log.jsonlXYZ' + TEMP_SUFFIX)
    open(stale, 'w').write('{"partial')  # a kill during a final write
    cfg = _search_cfg(demo_root, source_ckpt, tmp_path,
                      [dict(ARCH_HOOK, rule='less')])
    with pytest.raises(ValueError) as err:
        Runner.from_cfg(cfg).train()
    one_line(err, 'search_state.json', 'extra.rule', "'greater'",
              "'less'")
    assert open(osp.join(out, 'arch.json')).read() == arch
    assert not osp.exists(stale)
    # a truncated state names the file instead of a bare JSONDecodeError
    state = osp.join(out, 'search_state.json')
    text = open(state).read()
    open(state, 'w').write(text[:len(text) // 2])
    with pytest.raises(ValueError) as err:
        Runner.from_cfg(_search_cfg(demo_root, source_ckpt, tmp_path,
                                    [ARCH_HOOK])).train()
    one_line(err, state, 'malformed JSON')


# -- 5. load_from checks the arch --------------------------------------------

def test_load_from_of_another_arch_is_refused(tmp_path):
    net = SparseSuperNet(**SPACE)
    rng = np.random.default_rng(0)
    a, b = net.sample_arch(rng), net.sample_arch(rng)
    while a['layers'] == b['layers']:
        b = net.sample_arch(rng)

    class Model(nn.Module):

        def __init__(self, arch):
            super().__init__()
            self.backbone = TransNASNet(arch)
            self.head = nn.Linear(4, 2)

    ckpt = str(tmp_path / 'model_a.pth')
    torch.save({'state_dict': Model(a).state_dict()}, ckpt)
    same = Model(a)
    load_checkpoint(same, ckpt)  # the runner's load_from path
    for k, v in torch.load(ckpt)['state_dict'].items():
        assert torch.equal(same.state_dict()[k], v)
    with pytest.raises(ValueError) as err:
        load_checkpoint(Model(b), ckpt)
    one_line(err, ckpt, 'backbone.', 'another arch')
    other_space = SparseSuperNet(**{**SPACE, 'stem_channels': 8}).sample_arch(
        rng)
    with pytest.raises(ValueError) as err:
        load_checkpoint(Model(other_space), ckpt)
    one_line(err, ckpt, 'backbone.space_id', 'another search space')


# -- 6. bad input: one line naming the field and the file ------------------

def test_tensor_only_checkpoint_in_init_cfg(tmp_path):
    ckpt = str(tmp_path / 'tensor.pth')
    torch.save(torch.zeros(3), ckpt)
    arch = SparseSuperNet(**SPACE).sample_arch(np.random.default_rng(0))
    net = TransNASNet(arch, init_cfg=dict(type='Pretrained',
                                          checkpoint=ckpt))
    with pytest.raises(ValueError) as err:
        net.init_weights()
    one_line(err, ckpt, 'expected a checkpoint dict', 'Tensor')


@pytest.mark.parametrize('hook,kwargs,needle', [
    (ArchSearchHook, dict(input_shape=(1, 48, 48)), 'input_shape'),
    (WeightSearchHook, dict(input_shape=(1, 48, 48)), 'input_shape'),
    (ArchSearchHook, dict(rule='lower'), 'rule'),
    (WeightSearchHook, dict(rule='lower'), 'rule'),
    (WeightSearchHook, dict(search=dict(population=0)), 'population'),
    (ArchSearchHook, dict(search=dict(population=0)), 'population'),
    (ArchSearchHook, dict(search=dict(popsize=8)), 'search.popsize'),
    (ArchSearchHook, dict(racing=dict(fractions=(0.5, 2.0))),
     'racing.fractions'),
    (ArchSearchHook, dict(racing=True), 'racing: expected a dict'),
    (WeightSearchHook, dict(proxy=dict(iters=0)), 'proxy.iters'),
    (ArchSearchHook, dict(fitness='loss'), 'fitness'),
    # the flat spelling of earlier releases names the grouped one
    (ArchSearchHook, dict(population=8), 'search=dict(population=...)'),
    (WeightSearchHook, dict(proxy_iters=8), 'proxy=dict(iters=...)'),
    (ArchSearchHook, dict(race_top=1), 'racing=dict(top=...)'),
    (ArchSearchHook, dict(flops_range=(0, 1)), 'constraints=dict(flops='),
])
def test_hook_arguments_are_checked_before_training(hook, kwargs, needle):
    with pytest.raises(ValueError) as err:
        hook(metric_key='accuracy/top1', **kwargs)
    one_line(err, needle)


def test_missing_weight_search_arch_fails_before_training(
        demo_root, source_ckpt, tmp_path):
    hook = dict(NWS_HOOK, arch='/nope/arch.json')
    cfg = _search_cfg(demo_root, source_ckpt, tmp_path, [hook],
                      **{'train_cfg.max_epochs': 1})
    runner = Runner.from_cfg(cfg)
    with pytest.raises(FileNotFoundError) as err:
        runner.train()
    one_line(err, 'WeightSearchHook: arch', '/nope/arch.json')
    assert runner.iter == 0  # refused before any adaptation


def test_empty_or_missing_ann_file_is_named(tmp_path):
    (tmp_path / 'empty.txt').write_text('\n')
    base = dict(type='CustomDataset', data_root=str(tmp_path),
                data_prefix='imgs', pipeline=[])
    cfg = Config(dict(train_dataloader=dict(dataset=dict(
        base, ann_file='empty.txt'))))
    with pytest.raises(ValueError) as err:
        check_data_files(cfg)
    one_line(err, 'train_dataloader.dataset.ann_file',
              str(tmp_path / 'empty.txt'), 'empty')
    cfg = Config(dict(val_dataloader=dict(dataset=dict(
        type='RepeatDataset', times=2,
        dataset=dict(base, ann_file='nope.txt')))))
    with pytest.raises(ValueError) as err:
        check_data_files(cfg)
    one_line(err, 'val_dataloader.dataset.dataset.ann_file', 'nope.txt',
              'not found')
    (tmp_path / 'ok.txt').write_text('a.png 0\n')
    check_data_files(Config(dict(test_dataloader=dict(dataset=dict(
        base, ann_file='ok.txt')))))


def test_train_checks_only_the_loaders_it_builds():
    from transnas_mm.utils.data_checks import loaders_for_training
    cfg = Config(dict(custom_hooks=[dict(type='transnas_mm.ArchSearchHook')]))
    assert loaders_for_training(cfg) == ('train_dataloader',
                                         'val_dataloader')
    cfg.custom_hooks.append(dict(type='transnas_mm.WeightSearchHook'))
    assert 'test_dataloader' in loaders_for_training(cfg)
    cfg.custom_hooks[1]['heldout'] = False
    assert 'test_dataloader' not in loaders_for_training(cfg)
