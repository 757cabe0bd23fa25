"""The real-scale search configs, unchanged except data paths and budgets
(model, image sizes and space kept), run both hooks end to end on the demo
data and leave a finetune config that builds."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

from conftest import CONFIGS
from transnas_mm.datasets import TARGET_CLASSES


@pytest.fixture(scope='module')
def in1k_source(tmp_path_factory) -> str:
    """A source checkpoint of the real-scale (ImageNet) space: the
    supernet_in1k classifier as built (its training is not the point)."""
    cfg = Config.fromfile(osp.join(CONFIGS, 'transnas', 'supernet_in1k.py'))
    from mmpretrain.registry import MODELS
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
    path = str(tmp_path_factory.mktemp('in1k') / 'supernet_in1k.pth')
    torch.save(dict(state_dict=model.state_dict()), path)
    return path


def _tiny(cfg: Config, hooks_type_budget: dict) -> None:
    """Budgets only: a couple of iterations, 2 candidates, 1 NWS step."""
    cfg.train_cfg.max_epochs = 1
    cfg.train_cfg.val_interval = 10
    cfg.default_hooks.checkpoint.interval = 1
    cfg.default_hooks.logger.interval = 1
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].batch_size = 1
        cfg[loader].num_workers = 0
        cfg[loader].persistent_workers = False
    cfg.val_cfg.calibrate_batches = 1
    for hook in cfg.custom_hooks:
        hook.update(hooks_type_budget[hook.type.split('.')[-1]])


# A couple of iterations train no detector to the floor (0.01 mAP);
# test_floor.py checks the floor itself.
BUDGET = dict(
    ArchSearchHook=dict(search=dict(population=2, generations=1,
                                    num_mutation=1, num_crossover=1,
                                    top_k=1), calibrate_batches=1,
                        floor=None, proxy=dict(iters=1)),
    WeightSearchHook=dict(mode='evolution',
                          search=dict(population=1, generations=1),
                          calibrate_batches=1, floor=None,
                          proxy=dict(iters=1)))


def _run_and_check(cfg: Config, work: str) -> None:
    hooks = [h.type.split('.')[-1] for h in cfg.custom_hooks]
    assert hooks == ['ArchSearchHook', 'WeightSearchHook']
    Runner.from_cfg(cfg).train()
    out = osp.join(work, 'search')
    for name in ('arch.json', 'subnet.pth', 'weight_sources.json',
                 'finetune.py'):
        assert osp.getsize(osp.join(out, name)) > 0, name
    ft = Config.fromfile(osp.join(out, 'finetune.py'))
    assert ft.model.backbone.type == 'transnas_mm.TransNASNet'
    ft.work_dir = osp.join(work, 'finetune')
    runner = Runner.from_cfg(ft)  # builds model, loads nothing yet
    assert runner.model.backbone.arch['layers']


def test_real_scale_cub_search_runs_both_hooks(demo_root, in1k_source,
                                               tmp_path):
    cfg = Config.fromfile(osp.join(CONFIGS, 'transnas', 'cub_search.py'))
    root = osp.join(demo_root, 'CUB_200_2011')
    meta = dict(classes=TARGET_CLASSES)
    for loader, idx in (('train_dataloader', 4), ('val_dataloader', [0, 1]),
                        ('test_dataloader', [2, 3])):
        cfg[loader].dataset.data_root = root
        cfg[loader].dataset.metainfo = meta
        cfg[loader].dataset.indices = idx
    cfg.model.backbone.init_cfg.checkpoint = in1k_source
    cfg.work_dir = str(tmp_path)
    _tiny(cfg, BUDGET)
    _run_and_check(cfg, str(tmp_path))


def test_real_scale_coco_search_runs_both_hooks(demo_root, in1k_source,
                                                tmp_path):
    cfg = Config.fromfile(osp.join(CONFIGS, 'transnas', 'coco_search.py'))
    root = osp.join(demo_root, 'coco') + '/'
    meta = dict(classes=TARGET_CLASSES)
    for loader, split, idx in (('train_dataloader', 'train', 2),
                               ('val_dataloader', 'val', [0, 1]),
                               ('test_dataloader', 'test', [0, 1])):
        ds = cfg[loader].dataset
        ds.data_root = root
        ds.metainfo = meta
        ds.ann_file = f'annotations/instances_{split}.json'
        ds.data_prefix = dict(img=f'{split}/')
        ds.indices = idx
        for t in ds.pipeline:  # the budget: 320 px, not 1333x800, on CPU
            if t.type == 'Resize':
                t.scale = (320, 320)
    cfg.val_evaluator.ann_file = root + 'annotations/instances_val.json'
    cfg.test_evaluator = dict(
        cfg.val_evaluator, ann_file=root + 'annotations/instances_test.json')
    cfg.model.backbone.init_cfg.checkpoint = in1k_source
    # the data's classes (the evaluator maps labels to its categories)
    cfg.model.bbox_head.num_classes = len(TARGET_CLASSES)
    cfg.model.test_cfg.score_thr = 0.0  # an untrained detector's boxes
    cfg.work_dir = str(tmp_path)
    _tiny(cfg, BUDGET)
    _run_and_check(cfg, str(tmp_path))


def test_supernet_from_mobilenet_v2_config_loads_and_trains(demo_root,
                                                            tmp_path):
    """The real-scale pretrained route: the config builds, loads an
    mmpretrain MobileNetV2 classifier checkpoint (random init here: none is
    downloaded) into the supernet's reference path and its head, and
    trains a few iterations on the demo source (ImageNet layout)."""
    from mmpretrain.models import ImageClassifier  # noqa: F401
    from mmpretrain.registry import MODELS
    mbv2 = Config(dict(type='ImageClassifier',
                       backbone=dict(type='MobileNetV2', widen_factor=1.0),
                       neck=dict(type='GlobalAveragePooling'),
                       head=dict(type='LinearClsHead', num_classes=1000,
                                 in_channels=1280)))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        theirs = MODELS.build(mbv2)
    theirs.init_weights()
    ckpt = str(tmp_path / 'mbv2.pth')
    torch.save(dict(state_dict=theirs.state_dict()), ckpt)
    cfg = Config.fromfile(osp.join(CONFIGS, 'transnas',
                                   'supernet_in1k_from_mobilenet_v2.py'))
    cfg.model.backbone.init_cfg.checkpoint = ckpt
    cfg.model.head.init_cfg.checkpoint = ckpt
    for loader, n in (('train_dataloader', 4), ('val_dataloader', 2)):
        cfg[loader].dataset.data_root = osp.join(demo_root, 'source')
        cfg[loader].dataset.indices = n
        cfg[loader].batch_size = 2
        cfg[loader].num_workers = 0
        cfg[loader].persistent_workers = False
    cfg.test_dataloader = cfg.val_dataloader
    cfg.train_cfg.max_epochs = 1
    cfg.train_cfg.val_interval = 1
    cfg.param_scheduler = []
    cfg.val_cfg.calibrate_batches = 1
    cfg.default_hooks.logger.interval = 1
    cfg.model_wrapper_cfg = None
    cfg.work_dir = str(tmp_path / 'work')
    runner = Runner.from_cfg(cfg)
    runner.model.init_weights()
    head = runner.model.head.fc.weight
    assert torch.equal(head, theirs.head.fc.weight)
    ref = runner.model.backbone.layers[1]['mb_k3e6'].conv[0].conv.weight
    assert torch.equal(ref, theirs.backbone.layer2[0].conv[0].conv.weight)
    runner.train()
    assert runner.iter == 2
    assert osp.isfile(osp.join(str(tmp_path / 'work'), 'epoch_1.pth'))
