"""Every shipped config parses and builds its model in its own scope."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope, init_default_scope

from conftest import CONFIGS

ALL = sorted(glob.glob(osp.join(CONFIGS, 'transnas', '**', '*.py'),
                       recursive=True))


def test_configs_are_found():
    names = {osp.relpath(p, CONFIGS) for p in ALL}
    assert {'transnas/supernet_in1k.py', 'transnas/coco_search.py',
            'transnas/cub_search.py',
            'transnas/demo/supernet_source.py'} <= names


@pytest.mark.parametrize('path', ALL, ids=lambda p: osp.relpath(p, CONFIGS))
def test_config_builds_model(path):
    cfg = Config.fromfile(path)
    assert cfg.custom_imports.imports == ['transnas_mm']
    init_default_scope(cfg.default_scope)
    registry = __import__(f'{cfg.default_scope}.registry',
                          fromlist=['MODELS']).MODELS
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = registry.build(cfg.model)
    backbone = model.backbone
    size = 64 if cfg.default_scope == 'mmpretrain' else 128
    with torch.no_grad():
        backbone.eval()
        outs = backbone(torch.zeros(1, 3, size, size))
    if hasattr(model, 'neck') and hasattr(model.neck, 'in_channels'):
        assert list(model.neck.in_channels) == [o.shape[1] for o in outs]
    if hasattr(getattr(model, 'head', None), 'in_channels'):
        assert model.head.in_channels == outs[-1].shape[1]


def test_cfg_options_address_hooks_by_type():
    from transnas_mm.utils import hooks_by_type
    cfg = Config.fromfile(osp.join(CONFIGS, 'transnas/demo/cub_search.py'))
    opts = hooks_by_type(cfg, {
        'custom_hooks.WeightSearchHook.search.population': 2,
        'custom_hooks.ArchSearchHook.search.top_k': 3,
        'custom_hooks.0.seed': 1, 'train_cfg.max_epochs': 0})
    assert opts == {'custom_hooks.1.search.population': 2,
                    'custom_hooks.0.search.top_k': 3,
                    'custom_hooks.0.seed': 1, 'train_cfg.max_epochs': 0}
    cfg.merge_from_dict(opts)
    assert cfg.custom_hooks[1].search.population == 2
    assert cfg.custom_hooks[1].search.generations == 2  # the rest is kept
    assert cfg.custom_hooks[0].search.top_k == 3
    with pytest.raises(ValueError, match="0 hooks of type 'EMAHook'"):
        hooks_by_type(cfg, {'custom_hooks.EMAHook.momentum': 0.1})


@pytest.mark.parametrize('name', ['coco_search', 'faster_rcnn_search'])
def test_detection_rows_finetune_with_one_recipe(name):
    """Every row of a detection table trains with the same finetune,
    whatever lr the adaptation before the search used (RetinaNet's is
    lower: a collapse at the rows' lr)."""
    from transnas_mm.apis import finetune_config
    cfg = Config.fromfile(osp.join(CONFIGS, f'transnas/demo/{name}.py'))
    hook = next(h for h in cfg.custom_hooks
                if h['type'].endswith('WeightSearchHook'))
    out = finetune_config(cfg, 'arch.json', 'model.pth', [1, 2, 3],
                          hook['finetune'])
    assert out.optim_wrapper.optimizer.lr == 0.02
    assert out.train_cfg.max_epochs == 18
    assert out.param_scheduler[1].type == 'CosineAnnealingLR'
    if name == 'coco_search':
        assert cfg.optim_wrapper.optimizer.lr == 0.01


SEARCHES = [p for p in ALL if any(
    str(h.get('type', '')).endswith('SearchHook')
    for h in Config.fromfile(p).get('custom_hooks', []))]


def test_hooks_score_after_a_proxy_finetune_by_default():
    """Both hooks, built with only their objective, score every candidate
    after the default proxy finetune (180 steps, lr 0.02 warmed up and
    cosine-annealed); ``proxy=None`` / ``fitness='inherited'`` turn it
    off."""
    from transnas_mm.hooks import ArchSearchHook, WeightSearchHook
    arch = ArchSearchHook('accuracy/top1').job
    assert arch.fitness == 'proxy' and arch.finetunes
    assert (arch.proxy.iters, arch.proxy.lr, arch.proxy.rungs,
            arch.proxy.schedule) == (180, 0.02, (), 'cosine')
    nws = WeightSearchHook('accuracy/top1').job
    assert (nws.proxy.iters, nws.proxy.lr, nws.proxy.schedule) == \
        (180, 0.02, 'cosine')
    off = ArchSearchHook('accuracy/top1', fitness='inherited').job
    assert not off.finetunes
    assert WeightSearchHook('accuracy/top1', proxy=None).job.proxy is None


@pytest.mark.parametrize('path', SEARCHES,
                         ids=lambda p: osp.relpath(p, CONFIGS))
def test_every_shipped_search_scores_after_a_proxy_finetune(path):
    """Demo and real-scale targets alike: one fitness, not one per
    target."""
    from transnas_mm.registry import HOOKS
    hooks = [HOOKS.build(dict(h)) for h in Config.fromfile(path).custom_hooks
             if str(h['type']).endswith('SearchHook')]
    assert [type(h).__name__ for h in hooks] == ['ArchSearchHook',
                                                 'WeightSearchHook']
    arch, nws = (h.job for h in hooks)
    assert arch.fitness == 'proxy' and arch.proxy.iters == 180
    assert nws.proxy.iters == arch.proxy.iters
    assert nws.proxy.lr == arch.proxy.lr == 0.02
    assert nws.proxy.schedule == arch.proxy.schedule == 'cosine'
