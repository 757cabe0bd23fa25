"""SparseSuperNet behaviour and its equivalence with TransNASNet."""
import numpy as np
import pytest
import torch

from conftest import DEMO_SPACE
from transnas_mm import SparseSuperNet, TransNASNet
from transnas_mm.space import arch_key

DEMO = dict(DEMO_SPACE, out_indices=(0, 1, 2, 3))


def _trained_like(net: SparseSuperNet) -> SparseSuperNet:
    """Non-trivial BN statistics and weights, as after training."""
    torch.manual_seed(0)
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
    return net


@pytest.mark.parametrize('seed', range(5))
def test_transnasnet_with_exported_weights_equals_supernet(seed):
    net = _trained_like(SparseSuperNet(**DEMO)).eval()
    arch = net.sample_arch(np.random.default_rng(seed))
    net.set_arch(arch)
    static = TransNASNet(arch, out_indices=DEMO['out_indices'])
    missing = static.load_state_dict(net.export_subnet(arch), strict=True)
    assert not missing.missing_keys and not missing.unexpected_keys
    static.eval()
    x = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        ys, zs = net(x), static(x)
    assert len(ys) == len(zs) == 4
    for y, z in zip(ys, zs):
        assert (y - z).abs().max().item() <= 1e-5
    assert [z.shape[1] for z in zs] == static.out_channels == [24, 32, 64, 96]
    # fewer parameters than the supernet: only the chosen ops
    assert sum(p.numel() for p in static.parameters()) < \
        sum(p.numel() for p in net.parameters())


def test_training_step_runs_one_path_and_changes_per_step():
    net = SparseSuperNet(**DEMO).train()
    calls = []
    for i, layer in enumerate(net.layers):
        for op, module in layer.items():
            module.register_forward_hook(
                lambda m, a, o, i=i, op=op: calls.append((i, op)))
    seen = set()
    for _ in range(4):
        calls.clear()
        net.zero_grad(set_to_none=True)
        out = net(torch.randn(2, 3, 32, 32))
        sum(o.mean() for o in out).backward()
        assert sorted(i for i, _ in calls) == list(range(10))
        assert calls == [(i, ly['op']) for i, ly in
                         enumerate(net.current_arch['layers'])]
        seen.add(arch_key(net.current_arch))
        for i, ly in enumerate(net.current_arch['layers']):
            with_grad = [op for op, m in net.layers[i].items()
                         if any(p.grad is not None for p in m.parameters())]
            assert with_grad == ([] if ly['op'] == 'skip' else [ly['op']])
    assert len(seen) == 4
    assert int(net.sample_step) == 4


def test_sampling_is_a_function_of_seed_and_step():
    a, b = SparseSuperNet(**DEMO).train(), SparseSuperNet(**DEMO).train()
    x = torch.randn(2, 3, 32, 32)
    keys_a, keys_b = [], []
    for _ in range(3):
        a(x)
        keys_a.append(arch_key(a.current_arch))
    b.load_state_dict(a.state_dict())  # resume: step counter restored
    b(x)
    a(x)
    keys_b.append(arch_key(b.current_arch))
    assert keys_b[0] == arch_key(a.current_arch)
    assert len(set(keys_a)) == 3


def test_edges_dropped_with_edge_drop_prob():
    never = SparseSuperNet(**{**DEMO, 'edge_drop_prob': 1.0})
    always = SparseSuperNet(**{**DEMO, 'edge_drop_prob': 0.0})
    rng = np.random.default_rng(0)
    assert all(ly['edges'] == [] for ly in
               never.sample_arch(rng)['layers'])
    full = always.sample_arch(rng)
    assert [ly['edges'] for ly in full['layers']] == \
        [list(ly.extra_edges) for ly in always.space.layers]
    assert any(full['layers'][i]['edges'] for i in range(10))


def test_frozen_stages_and_norm_eval():
    net = SparseSuperNet(**{**DEMO, 'frozen_stages': 1, 'norm_eval': True})
    net.train()
    assert not any(p.requires_grad for p in net.stem.parameters())
    assert not any(p.requires_grad for p in net.layers[0].parameters())
    assert all(p.requires_grad for p in net.layers[2].parameters())
    bns = [m for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert bns and not any(m.training for m in bns)


def test_warmup_trains_the_reference_then_seeds_the_other_ops():
    from transnas_mm.space import reference_arch
    net = SparseSuperNet(**DEMO, warmup_iters=2).train()
    ref = reference_arch(net.space)
    x = torch.randn(2, 3, 32, 32)
    for _ in range(2):
        net(x)
        assert net.current_arch == ref  # warm-up: the reference chain only
    layer = net.layers[3]
    src = layer['mb_k3e6'].conv[0].conv.weight  # expand conv
    assert not torch.equal(layer['mb_k3e3'].conv[0].conv.weight,
                           src[:layer['mb_k3e3'].conv[0].conv.out_channels])
    net(x)  # step 2: seeds every other op from the reference op, samples
    e3 = layer['mb_k3e3'].conv[0].conv.weight
    assert torch.equal(e3, src[:e3.shape[0]])  # channels sliced
    k5 = layer['mb_k5e6'].conv[1].conv.weight  # depthwise 5x5
    assert torch.equal(k5[:, :, 1:4, 1:4], layer['mb_k3e6'].conv[1].conv.weight)
    assert k5[:, :, 0].abs().sum() == 0  # zero-padded border
    assert int(net.sample_step) == 3
