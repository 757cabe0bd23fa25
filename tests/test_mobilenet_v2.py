"""The mobilenet_v2 space preset: its hand chain is MobileNetV2 1.0, and
randomly initialised mmpretrain and torchvision MobileNetV2s convert into
it exactly (the same features at every stage, eval mode), through the
init_cfg route and tools/convert/mobilenet_v2.py; the super-network seeded
from one runs the reference ops with exactly those weights."""
import os.path as osp
import subprocess
import sys

import pytest
import torch

from conftest import ROOT
from transnas_mm import SparseSuperNet, TransNASNet
from transnas_mm.space import (CostTable, arch_ops, build_space,
                               reference_arch, space_preset)

STAGE_OUT = (0, 1, 2, 3, 4, 5, 6)


def _randomise_bn(model) -> None:
    """Random BN statistics, so a wrong BN mapping cannot hide."""
    g = torch.Generator().manual_seed(0)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(n, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(n, generator=g) + 0.5)
            m.bias.data.copy_(torch.randn(n, generator=g) * 0.1)


def _mmpretrain_net():
    from mmpretrain.models.backbones import MobileNetV2
    torch.manual_seed(0)
    net = MobileNetV2(widen_factor=1.0, out_indices=(0, 1, 2, 3, 4, 5, 7))
    net.init_weights()
    _randomise_bn(net)
    net.eval()  # mmpretrain's train() returns None
    return net


def _torchvision_net():
    from torchvision.models import mobilenet_v2
    torch.manual_seed(0)
    net = mobilenet_v2(weights=None)
    _randomise_bn(net)
    return net.eval()


def _torchvision_stages(net, x):
    """Outputs after the blocks ending each of our stages, and the final
    conv (features.18)."""
    ends = {1: 0, 3: 1, 6: 2, 10: 3, 13: 4, 16: 5, 18: 6}
    outs = []
    for i, layer in enumerate(net.features):
        x = layer(x)
        if i in ends:
            outs.append(x)
    return outs


def test_hand_chain_is_mobilenet_v2_1_0():
    space = build_space(**space_preset('mobilenet_v2'))
    ops = arch_ops(reference_arch(space))
    assert len(ops) == 17  # 17 inverted residuals
    assert ops[0] == 'mb_k3e1' and set(ops[1:]) == {'mb_k3e6'}
    assert [ly.out_channels for ly in space.layers] == \
        [16, 24, 24, 32, 32, 32, 64, 64, 64, 64, 96, 96, 96, 160, 160, 160,
         320]
    assert [ly.stride for ly in space.layers if ly.stride == 2] == [2] * 4
    net = TransNASNet(arch='mobilenet_v2', out_indices=STAGE_OUT)
    assert net.out_channels == [16, 24, 32, 64, 96, 160, 1280]
    from torchvision.models import mobilenet_v2
    theirs = sum(p.numel() for p in mobilenet_v2().features.parameters())
    assert sum(p.numel() for p in net.parameters()) == theirs
    # the FLOPs table counts the final conv too (a fixed part)
    table = CostTable.measure(space, (3, 64, 64))
    with_final = table.flops(reference_arch(space))
    bare = build_space(**dict(space_preset('mobilenet_v2'),
                              last_channels=0))
    assert with_final > CostTable.measure(bare, (3, 64, 64)).flops(
        reference_arch(bare)) + 320 * 1280 * 2 * 2 - 1


@pytest.mark.parametrize('library', ['mmpretrain', 'torchvision'])
def test_converted_transnas_net_gives_the_same_features(library, tmp_path):
    theirs = _mmpretrain_net() if library == 'mmpretrain' else \
        _torchvision_net()
    src = str(tmp_path / 'mbv2.pth')
    state = theirs.state_dict()
    if library == 'mmpretrain':  # as inside an ImageClassifier checkpoint
        state = {'backbone.' + k: v for k, v in state.items()}
        torch.save(dict(state_dict=state, meta={}), src)
    else:
        torch.save(state, src)
    ours = TransNASNet(arch='mobilenet_v2', out_indices=STAGE_OUT,
                       init_cfg=dict(type='Pretrained', checkpoint=src))
    ours.init_weights()
    ours.eval()
    x = torch.randn(2, 3, 96, 96)
    with torch.no_grad():
        mine = ours(x)
        ref = theirs(x) if library == 'mmpretrain' else \
            _torchvision_stages(theirs, x)
    assert len(mine) == len(ref) == 7
    for a, b in zip(mine, ref):
        assert a.shape == b.shape
        assert torch.allclose(a, b, atol=1e-5), (a - b).abs().max()
    # the tool writes the same weights; the supernet gets them in its
    # reference ops, exactly, and the other ops seeded from them
    out = str(tmp_path / 'super.pth')
    proc = subprocess.run([sys.executable, osp.join(
        ROOT, 'tools', 'convert', 'mobilenet_v2.py'), src, out, '--to',
        'supernet'], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    supernet = SparseSuperNet(preset='mobilenet_v2', out_indices=STAGE_OUT,
                              init_cfg=dict(type='Pretrained',
                                            checkpoint=out))
    supernet.init_weights()
    supernet.eval()
    supernet.set_arch(reference_arch(supernet.space))
    with torch.no_grad():
        for a, b in zip(supernet(x), mine):
            assert torch.allclose(a, b, atol=1e-5)
    k5 = supernet.layers[5]['mb_k5e6'].conv[1].conv.weight
    k3 = supernet.layers[5]['mb_k3e6'].conv[1].conv.weight
    assert torch.equal(k5[:, :, 1:4, 1:4], k3)  # remapped, centre
    assert float(k5[:, :, 0].detach().abs().sum()) == 0.0


def test_checkpoint_of_another_shape_is_refused_in_one_line(tmp_path):
    from mmpretrain.models.backbones import MobileNetV2
    src = str(tmp_path / 'half.pth')
    torch.save(MobileNetV2(widen_factor=0.5).state_dict(), src)
    with pytest.raises(ValueError) as err:
        TransNASNet(arch='mobilenet_v2').load_pretrained(src)
    msg = str(err.value)
    assert '\n' not in msg and src in msg and 'shape' in msg, msg
    # a supernet of another space is refused by name, not half-loaded
    with pytest.raises(ValueError) as err:
        SparseSuperNet().load_pretrained(src)
    assert "'mobilenet_v2' space preset" in str(err.value)
    proc = subprocess.run([sys.executable, osp.join(
        ROOT, 'tools', 'convert', 'mobilenet_v2.py'), src,
        str(tmp_path / 'x.pth'), '--to', 'transnas'], capture_output=True,
        text=True, timeout=300)
    assert proc.returncode != 0 and 'Traceback' not in proc.stderr
    assert not osp.exists(tmp_path / 'x.pth')
