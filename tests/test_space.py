"""Search space, arch format and cost table."""
import json

import numpy as np
import torch
from mmengine.analysis import FlopAnalyzer, parameter_count

from conftest import DEMO_SPACE
from transnas_mm import SparseSuperNet, TransNASNet
from transnas_mm.space import (CostTable, arch_key, build_space, load_arch,
                               save_arch)

DEMO = DEMO_SPACE


def _searchable_params(net: SparseSuperNet) -> int:
    return sum(p.numel() for p in net.layers.parameters())


def test_default_space_is_mobilenetv2_sized():
    space = build_space()
    assert 18 <= space.num_layers <= 24
    assert set(space.candidates) == {'mb_k3e3', 'mb_k3e6', 'mb_k5e3',
                                     'mb_k5e6', 'mb_k7e3', 'mb_k7e6', 'skip'}
    for ly in space.layers:  # skip only where shapes allow
        assert ('skip' in ly.candidates) == (
            ly.stride == 1 and ly.in_channels == ly.out_channels)
        assert len(ly.extra_edges) <= 2
    net = SparseSuperNet(out_indices=(0, 1, 3, 5))
    outs = net.eval()(torch.zeros(1, 3, 64, 64))
    assert [64 // o.shape[-1] for o in outs] == [4, 8, 16, 32]


def test_same_seed_same_graph_other_seed_other_graph():
    a, b = build_space(**{**DEMO, 'edge_seed': 3}), \
        build_space(**{**DEMO, 'edge_seed': 3})
    assert a.fingerprint() == b.fingerprint()
    assert [ly.extra_edges for ly in a.layers] == \
        [ly.extra_edges for ly in b.layers]
    seeds = {build_space(**{**DEMO, 'edge_seed': s,
                            'stages': [(6, 32, 2)]}).fingerprint()
             for s in range(5)}
    assert len(seeds) > 1


def test_params_are_o_of_c_times_n():
    """No sharing between candidates, no per-edge weights: doubling the
    layers of a uniform stage doubles the searchable parameters, and the
    candidates' parameters add up."""
    uniform = dict(stem_channels=32, max_extra_edges=2, out_indices=(0, ))
    c1, c2 = ['mb_k3e3', 'mb_k5e3'], ['mb_k3e6', 'mb_k5e6']
    n4 = SparseSuperNet(stages=[(4, 32, 1)], candidates=c1, **uniform)
    n8 = SparseSuperNet(stages=[(8, 32, 1)], candidates=c1, **uniform)
    assert _searchable_params(n8) == 2 * _searchable_params(n4)
    both = SparseSuperNet(stages=[(4, 32, 1)], candidates=c1 + c2, **uniform)
    only2 = SparseSuperNet(stages=[(4, 32, 1)], candidates=c2, **uniform)
    assert _searchable_params(both) == \
        _searchable_params(n4) + _searchable_params(only2)
    assert sum(len(ly.extra_edges) for ly in n8.space.layers) > 0


def test_arch_roundtrip_and_atomic_save(tmp_path):
    space = build_space(**DEMO)
    net = SparseSuperNet(**DEMO)
    arch = net.sample_arch(np.random.default_rng(0))
    path = str(tmp_path / 'arch.json')
    save_arch(arch, path)
    assert [p.name for p in tmp_path.iterdir()] == ['arch.json']
    loaded = load_arch(path, space)
    assert arch_key(loaded) == arch_key(arch)
    assert json.load(open(path))['space_fingerprint'] == space.fingerprint()


def test_cost_table_matches_full_count_within_one_percent():
    net = SparseSuperNet(**DEMO)
    table = CostTable.measure(net.space, (3, 64, 64), backbone=net)
    for seed in range(4):
        arch = net.sample_arch(np.random.default_rng(seed))
        flops, params = table.cost(arch)
        static = TransNASNet(arch, out_indices=(3, )).eval()
        counter = FlopAnalyzer(static, (torch.zeros(1, 3, 64, 64), ))
        counter.unsupported_ops_warnings(False)
        assert abs(flops - counter.total()) <= 0.01 * counter.total()
        assert abs(params - parameter_count(static)['']) <= 0.01 * params
