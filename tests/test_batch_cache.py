"""The search keeps its fixed batches in memory: decoded once, not per
candidate, with scores identical to loading them again (real classifier and
detector through the Runner's loaders and evaluators); a split over the
limit streams as before."""
import numpy as np
import pytest
import torch
from mmengine.runner import Runner

from conftest import demo_cfg
from transnas_mm.engine import find_supernet
from transnas_mm.search import (Candidate, SubnetScorer, calibration_batches,
                                sample_arch_within)
from transnas_mm.search.scoring.batch_cache import (CachedLoader, batch_bytes,
                                                    cached)
from transnas_mm.search.scoring.racing import Racing
from transnas_mm.space import CostTable


class Counting:
    """A loader of ``n`` batches of 4 float32 values that counts its passes
    and batches."""

    def __init__(self, n: int):
        self.n, self.passes, self.loaded = n, 0, 0
        self.dataset = list(range(n))

    def __iter__(self):
        self.passes += 1
        for i in range(self.n):
            self.loaded += 1
            yield dict(inputs=torch.full((4,), float(i)), i=i)

    def __len__(self):
        return self.n


def test_a_complete_pass_is_kept_and_replayed():
    loader = Counting(5)
    cache = cached(loader, 1.0)
    first = list(cache)
    again = list(cache)
    assert loader.passes == 1 and loader.loaded == 5
    assert all(a is b for a, b in zip(first, again))  # the same objects
    assert [d['i'] for d in again] == list(range(5))
    assert len(cache) == 5 and cache.dataset == loader.dataset
    assert cached(cache, 1.0) is cache  # not wrapped twice


def test_a_partial_pass_is_not_kept():
    loader = Counting(5)
    cache = CachedLoader(loader, 2**20)
    for k, _ in enumerate(cache):
        if k == 2:
            break
    assert [d['i'] for d in cache] == list(range(5))  # loaded again, whole
    assert loader.passes == 2
    list(cache)
    assert loader.passes == 2  # the complete second pass was kept


def test_over_the_limit_streams_and_keeps_nothing():
    loader = Counting(5)
    one = batch_bytes(next(iter(loader)))
    assert one == 4 * 4
    cache = CachedLoader(loader, 3 * one)  # 3 of 5 batches fit
    for _ in range(3):
        assert [d['i'] for d in cache] == list(range(5))
    assert loader.passes == 4 and cache.too_big and cache._batches is None
    assert cached(loader, 0) is loader  # 0: off


def _runner(name, demo_root, source_ckpt, tmp_path, opts):
    cfg = demo_cfg(name, demo_root, str(tmp_path), source_ckpt, {
        **opts, 'train_cfg.max_epochs': 0, 'param_scheduler': [],
        'custom_hooks': []})
    runner = Runner.from_cfg(cfg)
    runner.train()  # 0 epochs: the source weights, nothing else
    return runner


@pytest.mark.parametrize('name,metric,shape,opts', [
    ('transnas/demo/cub_search.py', 'accuracy/top1', (3, 48, 48),
     {'train_dataloader.dataset.indices': 32,
      'train_dataloader.batch_size': 16,
      'val_dataloader.dataset.indices': 40}),
    ('transnas/demo/coco_search.py', 'coco/bbox_mAP', (3, 128, 128),
     {'train_dataloader.dataset.indices': 8,
      'train_dataloader.batch_size': 4,
      'val_dataloader.dataset.indices': 8,
      'model.test_cfg.score_thr': 0.0}),
])
def test_kept_batches_score_like_loading_them_again(
        name, metric, shape, opts, demo_root, source_ckpt, tmp_path):
    runner = _runner(name, demo_root, source_ckpt, tmp_path, opts)
    supernet = find_supernet(runner.model)
    table = CostTable.measure(supernet.space, shape, backbone=supernet)
    rng = np.random.default_rng(0)
    archs = [sample_arch_within(supernet.space, table, rng)
             for _ in range(3)]
    dataset = runner.val_loop.dataloader.dataset
    decoded = []
    prepare_data = dataset.prepare_data

    def counting(idx):
        decoded.append(idx)
        return prepare_data(idx)

    dataset.prepare_data = counting
    results = {}
    for cache_mb in (0, 64):
        for race in (False, True):
            scorer = SubnetScorer(
                runner.model, lambda c: supernet.set_arch(c.arch),
                calibration_batches(runner.train_dataloader, 2, 0), 2,
                runner.val_loop.dataloader, runner.val_loop.evaluator,
                metric, cache_mb=cache_mb)
            if race:  # no bars: every stage of every candidate scored
                scorer.racing = Racing(runner.val_loop.dataloader,
                                       (0.25, 0.5), cache_mb=cache_mb)
            decoded.clear()
            scores = []
            for arch in archs:
                cand = scorer.score(Candidate(arch=arch, flops=0, params=0,
                                               generation=0))
                assert cand.status == 'ok', cand.reason
                scores.append((cand.metrics, cand.stage_scores))
            results[cache_mb, race] = scores
            # each search-split image decoded once per candidate, or once
            assert len(decoded) == len(dataset) * (1 if cache_mb else 3)
    assert results[64, False] == results[0, False]
    assert results[64, True] == results[0, True]
    assert [m for m, _ in results[0, True]] == \
        [m for m, _ in results[0, False]]
