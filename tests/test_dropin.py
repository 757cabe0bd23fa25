"""Source training once, then SparseSuperNet and TransNASNet as drop-in
backbones of real mmdet / mmpretrain models, through the Runner."""
import numpy as np
import pytest
import torch
from mmengine.runner import Runner

from conftest import demo_cfg
from transnas_mm import SparseSuperNet
from transnas_mm.apis import export_subnet_checkpoint
from transnas_mm.space import save_arch
from transnas_mm.utils import safe_torch_load


@pytest.fixture(scope='module')
def subnet(source_ckpt, tmp_path_factory):
    """A random arch of the demo space and its exported weights."""
    folder = tmp_path_factory.mktemp('subnet')
    ckpt = safe_torch_load(source_ckpt)
    space_cfg = demo_cfg('transnas/demo/supernet_source.py', '/x', '/y'
                         ).model.backbone
    space_cfg = {k: v for k, v in space_cfg.items()
                 if k not in ('type', 'out_indices')}
    arch = SparseSuperNet(**space_cfg).sample_arch(
        np.random.default_rng(3))
    arch_path = str(folder / 'arch.json')
    save_arch(arch, arch_path)
    out = export_subnet_checkpoint(source_ckpt, arch_path,
                                   str(folder / 'subnet.pth'))
    # the exported weights are the source candidates of the arch
    weights = safe_torch_load(out)['state_dict']
    op = arch['layers'][2]['op']
    src_key = [k for k in ckpt['state_dict']
               if k.startswith(f'backbone.layers.2.{op}.')][0]
    assert torch.equal(
        weights[src_key.replace(f'backbone.layers.2.{op}.', 'layers.2.')],
        ckpt['state_dict'][src_key])
    return arch_path, out


# Two training iterations leave detectors below the default score
# threshold; keep every box so CocoMetric has something to score.
CASES = [
    ('transnas/demo/retinanet_supernet_coco.py', (0, 1, 2, 3),
     'coco/bbox_mAP', {'model.test_cfg.score_thr': 0.0}),
    ('transnas/demo/faster_rcnn_supernet_coco.py', (0, 1, 2, 3),
     'coco/bbox_mAP', {'model.test_cfg.rcnn.score_thr': 0.0}),
    ('transnas/demo/cub_supernet.py', (3, ), 'accuracy/top1', {}),
]


@pytest.mark.parametrize('config,out_indices,metric,extra', CASES)
@pytest.mark.parametrize('backbone', ['SparseSuperNet', 'TransNASNet'])
def test_backbone_drops_into_real_models(config, out_indices, metric, extra,
                                         backbone, demo_root, source_ckpt,
                                         subnet, tmp_path):
    options = {
        'train_dataloader.dataset.indices': 8,
        'train_dataloader.batch_size': 4,
        'val_dataloader.dataset.indices': 8,
        'train_cfg.max_epochs': 1,
        'train_cfg.val_interval': 1,
        'param_scheduler': [],
        **extra,
    }
    cfg = demo_cfg(config, demo_root, str(tmp_path), source_ckpt, options)
    if backbone == 'TransNASNet':
        arch_path, weights = subnet
        cfg.model.backbone = dict(
            type='transnas_mm.TransNASNet', arch=arch_path,
            out_indices=out_indices,
            init_cfg=dict(type='Pretrained', checkpoint=weights))
        cfg.val_cfg = dict(type='ValLoop') if cfg.default_scope == 'mmdet' \
            else dict()
    runner = Runner.from_cfg(cfg)
    runner.train()
    value = runner.message_hub.get_scalar(f'val/{metric}').current()
    assert value == value and value >= (-1.0 if 'coco' in metric else 0.0)
    net = runner.model.backbone
    assert type(net).__name__ == backbone
    # the backbone was initialised from the checkpoint, then trained
    src = safe_torch_load(source_ckpt if backbone == 'SparseSuperNet'
                          else subnet[1])['state_dict']
    key = 'backbone.stem.conv.weight' if backbone == 'SparseSuperNet' \
        else 'stem.conv.weight'
    moved = (net.stem.conv.weight.detach() - src[key]).abs().max().item()
    assert 0 < moved < 1.0
