"""Our classes resolve as ``transnas_mm.Name`` from mmdet- and
mmpretrain-scoped configs alike."""
import pytest
import torch
from mmengine.registry import DefaultScope

import transnas_mm  # noqa: F401

SMALL = dict(stages=[(1, 16, 2), (2, 24, 2)], candidates=['mb_k3e3', 'skip'],
             stem_channels=8, out_indices=(0, 1))


@pytest.mark.parametrize('scope', ['mmdet', 'mmpretrain'])
def test_models_build_from_both_scopes(scope):
    registry = __import__(f'{scope}.registry', fromlist=['MODELS']).MODELS
    with DefaultScope.overwrite_default_scope(scope):
        net = registry.build(dict(type='transnas_mm.SparseSuperNet',
                                  **SMALL))
        assert type(net).__name__ == 'SparseSuperNet'
        arch = net.current_arch
        static = registry.build(dict(type='transnas_mm.TransNASNet',
                                     arch=arch, out_indices=(0, 1)))
        outs = static.eval()(torch.zeros(1, 3, 32, 32))
        assert [o.shape[1] for o in outs] == static.out_channels == [16, 24]


@pytest.mark.parametrize('scope', ['mmdet', 'mmpretrain'])
def test_loops_build_from_both_scopes(scope):
    registry = __import__(f'{scope}.registry', fromlist=['LOOPS']).LOOPS
    with DefaultScope.overwrite_default_scope(scope):
        assert registry.get('transnas_mm.SubnetValLoop').__name__ == \
            'SubnetValLoop'
