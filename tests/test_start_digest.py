"""Rows that start from the same network share one finetune: the start
digest must tell equal networks from different ones."""
import json
import os.path as osp

import numpy as np
import torch

from transnas_mm.comparison.start_digest import (Twins, read_start_digest,
                                                 start_digest,
                                                 write_start_digest)
from transnas_mm.comparison.row_finetune import shared_result
from transnas_mm.comparison.target_spec import TargetSpec
from transnas_mm.space import build_space, save_arch
from transnas_mm.space.sampling import reference_arch, sample_arch

SPACE = dict(stages=[(1, 8, 2), (2, 16, 2)],
             candidates=['mb_k3e3', 'mb_k3e6', 'skip'], max_extra_edges=1)


def _files(tmp_path, name, arch, state, meta):
    d = tmp_path / name
    d.mkdir()
    save_arch(arch, str(d / 'arch.json'))
    torch.save(dict(state_dict=state, meta=meta), str(d / 'model.pth'))
    return str(d / 'arch.json'), str(d / 'model.pth')


def test_digest_tells_equal_networks_from_different_ones(tmp_path):
    space = build_space(**SPACE)
    hand = reference_arch(space)
    other = sample_arch(space, np.random.default_rng(3), 0.5)
    assert other != hand
    state = {'backbone.w': torch.randn(4, 3), 'head.b': torch.zeros(2),
             'bn.num_batches_tracked': torch.tensor(7)}
    a = _files(tmp_path, 'a', hand, state, dict(source='x', score=1.0))
    # the same tensors saved again with another meta block: equal
    b = _files(tmp_path, 'b', hand, {k: v.clone() for k, v in state.items()},
               dict(source='y'))
    assert start_digest(*a) == start_digest(*b)
    # one value changed, or another arch: different
    changed = dict(state, **{'head.b': torch.tensor([0.0, 1e-7])})
    c = _files(tmp_path, 'c', hand, changed, {})
    d = _files(tmp_path, 'd', other, state, {})
    # the same values under another dtype: different
    e = _files(tmp_path, 'e', hand,
               dict(state, **{'head.b': torch.zeros(2, dtype=torch.float64)}),
               {})
    digests = {start_digest(*x) for x in (a, c, d, e)}
    assert len(digests) == 4


def test_twins_and_the_shared_result(tmp_path):
    space = build_space(**SPACE)
    state = {'backbone.w': torch.randn(4, 3)}
    arch, ckpt = _files(tmp_path, 'net', reference_arch(space), state, {})
    rows = {}
    for key in ('nas_plain', 'nas_nws', 'random'):
        (tmp_path / f'{key}_seed0').mkdir()
        rows[key] = str(tmp_path / f'{key}_seed0')
    write_start_digest(rows['nas_plain'], arch, ckpt)
    write_start_digest(rows['nas_nws'], arch, ckpt)
    other_arch, other_ckpt = _files(
        tmp_path, 'other', reference_arch(space),
        {'backbone.w': state['backbone.w'] + 1}, {})
    write_start_digest(rows['random'], other_arch, other_ckpt)
    seen = Twins()

    def twin(key):
        return seen.twin(read_start_digest(rows[key]), rows[key])

    assert twin('nas_plain') is None  # the first one pays
    assert twin('random') is None
    assert twin('nas_nws') == rows['nas_plain']
    assert twin('nas_plain') is None  # asked again: still its own
    # the twin's finished finetune and held-out result become the row's
    with open(osp.join(rows['nas_plain'], 'finetune.done'), 'w') as f:
        json.dump(dict(seconds=12.5), f)
    with open(osp.join(rows['nas_plain'], 'heldout.json'), 'w') as f:
        json.dump({'accuracy/top1': 81.25}, f)
    spec = TargetSpec('cub', 'unused.py', 'accuracy/top1', 'cls')
    metric, seconds = shared_result('cub/nas_nws', spec, rows['nas_nws'],
                                    rows['nas_plain'])
    assert (metric, seconds) == (81.25, 12.5)
    shared = json.load(open(osp.join(rows['nas_nws'], 'shared.json')))
    assert shared['twin'] == osp.abspath(rows['nas_plain'])
    # a second call (a resumed report) reads what is on disk
    assert shared_result('cub/nas_nws', spec, rows['nas_nws'],
                         rows['nas_plain']) == (81.25, 12.5)
