"""The floor: a search on an adapted model that did not learn the target
(a collapsed adaptation) stops with one line naming the metric, the floor
and the log, and exports nothing; the shipped detection configs set it."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

from conftest import CONFIGS, demo_cfg, one_line
from transnas_mm.search.settings import Scoring
from transnas_mm.space import reference_arch, save_arch


class WeightsAtStart(Hook):
    """Keeps a copy of the model's weights as training starts (after the
    checkpoint is loaded): what a stopped search must leave behind."""

    def before_train(self, runner) -> None:
        self.state = {k: v.clone()
                      for k, v in runner.model.state_dict().items()}

    def changed(self, model) -> list:
        """Names of the tensors that differ from the copy."""
        return [k for k, v in model.state_dict().items()
                if not torch.equal(v, self.state[k])]


def test_untrained_detector_stops_after_the_first_generation(
        demo_root, source_ckpt, tmp_path):
    """The shipped RetinaNet search config on a head that was never trained
    (0 adaptation epochs), its floor raised to 0.5 mAP: no path reaches it
    (with every box kept, such a head still scores ~0.04 on 8 canvases, so
    the shipped 0.01 catches only a collapse like the 0.001 one)."""
    cfg = demo_cfg('transnas/demo/coco_search.py', demo_root, str(tmp_path),
                   source_ckpt, {
                       'train_dataloader.dataset.indices': 8,
                       'train_dataloader.batch_size': 4,
                       'val_dataloader.dataset.indices': 8,
                       'train_cfg.max_epochs': 0,
                       'param_scheduler': [],
                       'model.test_cfg.score_thr': 0.0,
                   })
    arch_hook, nws_hook = cfg.custom_hooks
    assert arch_hook['floor'] == nws_hook['floor'] == 0.01
    arch_hook.update(floor=0.5, calibrate_batches=1, noise_repeats=0,
                     proxy=dict(iters=1, lr=0.01), predictor=None,
                     search=dict(population=3, generations=3, top_k=2,
                                 num_mutation=1, num_crossover=1))
    nws_hook.update(calibrate_batches=1, noise_repeats=0)
    runner = Runner.from_cfg(cfg)
    start = WeightsAtStart()
    runner.register_hook(start, priority='VERY_HIGH')
    with pytest.raises(RuntimeError) as err:
        runner.train()
    out = osp.join(str(tmp_path), 'search')
    one_line(err, 'ArchSearchHook: floor', 'coco/bbox_mAP', 'floor=0.5',
             'nothing exported', osp.join(out, 'search_log.jsonl'))
    # stopped after the first generation, nothing a later step could load
    assert len(open(osp.join(out, 'search_log.jsonl')).readlines()) == 3
    for name in ('arch.json', 'summary.json', 'search_state.json',
                 'subnet.pth', 'subnet_model.pth'):
        assert not osp.exists(osp.join(out, name)), name
    # the candidates' proxy finetunes and BN recalibrations are undone
    assert start.changed(runner.model) == []


def test_weight_search_alone_holds_its_plain_score_to_the_floor(
        demo_root, source_ckpt, tmp_path):
    """A given arch, NWS only: its first generation (plain inheritance)
    below the floor stops the run before any export."""
    arch_file = str(tmp_path / 'arch.json')
    cfg = demo_cfg('transnas/demo/cub_search.py', demo_root,
                   str(tmp_path / 'work'), source_ckpt, {
                       'train_dataloader.dataset.indices': 32,
                       'train_dataloader.batch_size': 16,
                       'val_dataloader.dataset.indices': 16,
                       'train_cfg.max_epochs': 0, 'param_scheduler': [],
                       'custom_hooks': [dict(
                           type='transnas_mm.WeightSearchHook',
                           metric_key='accuracy/top1', arch=arch_file,
                           mode='greedy', input_shape=(3, 48, 48),
                           calibrate_batches=1, noise_repeats=0,
                           heldout=False, floor=100.5, proxy=None)],
                   })
    runner = Runner.from_cfg(cfg)
    from transnas_mm.engine import find_supernet
    save_arch(reference_arch(find_supernet(runner.model).space), arch_file)
    start = WeightsAtStart()
    runner.register_hook(start, priority='VERY_HIGH')
    with pytest.raises(RuntimeError) as err:
        runner.train()
    out = osp.join(str(tmp_path / 'work'), 'search')
    one_line(err, 'WeightSearchHook: floor', 'accuracy/top1', 'below',
             'floor=100.5', 'nws_log.jsonl')
    for name in ('subnet.pth', 'subnet_model.pth', 'weight_sources.json',
                 'nws_state.json'):
        assert not osp.exists(osp.join(out, name)), name
    assert start.changed(runner.model) == []


def test_floor_follows_the_rule_and_refuses_what_is_not_a_number():
    assert Scoring('acc', floor=30.0).below_floor(29.9)
    assert not Scoring('acc', floor=30.0).below_floor(30.0)
    assert Scoring('acc', floor=30.0).below_floor(float('nan'))
    assert Scoring('acc', floor=30.0).below_floor(None)
    assert not Scoring('acc').below_floor(None)  # off
    assert Scoring('loss', rule='less', floor=2.0).below_floor(2.5)
    assert not Scoring('loss', rule='less', floor=2.0).below_floor(1.5)
    for bad in ('0.01', True, float('nan')):
        with pytest.raises(ValueError) as err:
            Scoring.parse('ArchSearchHook', 'coco/bbox_mAP', 'greater',
                          (3, 32, 32), 1, 0, None, 0, 0, bad)
        one_line(err, 'ArchSearchHook: floor', 'expected a number',
                 'coco/bbox_mAP')


def test_the_removed_loss_fitness_is_refused_by_name():
    from transnas_mm.search.arch.job import ArchSearchJob
    scoring = Scoring('accuracy/top1')
    with pytest.raises(ValueError) as err:
        ArchSearchJob.build('ArchSearchHook', scoring, fitness='proxy',
                            proxy=dict(iters=2, score='loss'))
    one_line(err, 'ArchSearchHook: proxy.score', 'tau -0.57',
             "expected 'metric'")
    assert ArchSearchJob.build('ArchSearchHook', scoring, fitness='proxy',
                               proxy=dict(iters=2, score='metric')).proxy \
        .iters == 2


@pytest.mark.parametrize('name', ['transnas/coco_search.py',
                                  'transnas/demo/faster_rcnn_search.py'])
def test_every_shipped_detection_search_sets_the_floor(name):
    hooks = Config.fromfile(osp.join(CONFIGS, name)).custom_hooks
    assert [h['floor'] for h in hooks] == [0.01, 0.01]
