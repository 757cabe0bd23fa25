"""Racing in the search library, without a runner (a synthetic scorer:
per-image correctness drawn per candidate, and MMEngine's Evaluator), and
through both hooks."""
import json
import os.path as osp

import numpy as np
import pytest
import torch.nn as nn
from mmengine.evaluator import BaseMetric, Evaluator
from mmengine.runner import Runner
from torch.utils.data import DataLoader

from conftest import demo_cfg
from transnas_mm.search.scoring.racing import Racing

N = 400


class MeanCorrect(BaseMetric):
    default_prefix = 'syn'

    def process(self, data_batch, data_samples) -> None:
        self.results.extend(data_samples)

    def compute_metrics(self, results) -> dict:
        return {'acc': 100.0 * float(np.mean(results))}


class Candidate(nn.Module):
    """Right on each image with probability ``p`` (fixed per image)."""

    def __init__(self, p: float, seed: int):
        super().__init__()
        self.correct = np.random.default_rng(seed).random(N) < p

    def val_step(self, data):
        return [float(self.correct[i]) for i in data]


def _loader() -> DataLoader:
    return DataLoader(list(range(N)), batch_size=16, shuffle=False,
                      collate_fn=lambda b: b)


def _search(cands, racing, k=3):
    """Score candidates in order against the k-th best score on the same
    images among those scored in full so far, as run_search does; returns
    scores, images used and stop flags."""
    evaluator = Evaluator([MeanCorrect()])
    full, images, stopped, stages_of_full = [], 0, [], []
    for model in cands:
        bars = []
        for i in range(racing.checkpoints):
            ranked = sorted((st[i] for st in stages_of_full), reverse=True)
            bars.append(ranked[k - 1] if len(ranked) >= k else None)
        metrics, seen, stages = racing.evaluate(model, evaluator, 'syn/acc',
                                                1.0, bars)
        full.append(metrics['syn/acc'])
        stopped.append(seen < N)
        images += seen
        if seen == N:
            stages_of_full.append(stages)
    return full, images, stopped


def test_racing_keeps_the_winner_and_saves_images():
    ps = np.random.default_rng(0).uniform(0.3, 0.8, 30)
    cands = [Candidate(p, seed) for seed, p in enumerate(ps)]
    exact = [100.0 * c.correct.mean() for c in cands]
    # margin ~ 2x the std of a candidate's mean over N images (~2.3 here)
    racing = Racing(_loader(), (0.25, 0.5), margin=5.0, seed=0)
    scores, images, stopped = _search(cands, racing)
    # the eventual winner is never dropped and is scored on every image
    win = int(np.argmax(exact))
    assert not stopped[win] and scores[win] == pytest.approx(exact[win])
    best = max(s for s, st in zip(scores, stopped) if not st)
    assert best == pytest.approx(max(exact))
    # every full-split score is exact; losers cost less
    for s, st, e in zip(scores, stopped, exact):
        if not st:
            assert s == pytest.approx(e)
    assert any(stopped) and images < 0.75 * N * len(cands)
    # deterministic: the same stages and decisions again
    again = _search(cands, Racing(_loader(), (0.25, 0.5), 5.0, seed=0))
    assert again == (scores, images, stopped)


def test_racing_against_the_best_keeps_it_for_less():
    """race_top=1: everything races against the best so far; the winner is
    still scored in full, and fewer images are used than against the
    3rd best."""
    ps = np.random.default_rng(3).uniform(0.3, 0.8, 30)
    cands = [Candidate(p, seed) for seed, p in enumerate(ps)]
    exact = [100.0 * c.correct.mean() for c in cands]
    top3 = _search(cands, Racing(_loader(), (0.25, 0.5), 5.0, seed=0), k=3)
    top1 = _search(cands, Racing(_loader(), (0.25, 0.5), 5.0, seed=0), k=1)
    win = int(np.argmax(exact))
    assert not top1[2][win] and top1[0][win] == pytest.approx(exact[win])
    assert top1[1] < top3[1]


@pytest.mark.parametrize('top', [0, -1, 1.5, True])
def test_bad_race_top_is_refused(top):
    from transnas_mm.hooks import ArchSearchHook
    with pytest.raises(ValueError, match='ArchSearchHook: racing.top'):
        ArchSearchHook('accuracy/top1', racing=dict(top=top))


def test_racing_compares_on_the_same_images():
    """The first stage's images are hard for every candidate: ``b`` ties
    ``a`` there and beats it everywhere else. Against ``a``'s whole-split
    score ``b`` would stop at once; against ``a``'s score on the same
    images it goes on and wins."""
    racing = Racing(_loader(), (0.25, 0.5), margin=1.0, seed=0)
    first = set(racing.stages[0][0].sampler)
    idx = np.arange(N)
    hard = np.isin(idx, list(first))
    a, b = Candidate(0.5, 0), Candidate(0.5, 1)
    a.correct = np.where(hard, idx % 10 < 3, idx % 10 < 8)
    b.correct = np.where(hard, idx % 10 < 3, idx % 10 < 9)
    scores, images, stopped = _search([a, b], racing, k=1)
    assert stopped == [False, False] and images == 2 * N
    assert scores[1] == pytest.approx(100.0 * b.correct.mean())
    assert scores[1] > scores[0]
    # the unpaired rule (one bar: a's whole-split score) drops the winner
    _, seen, _ = racing.evaluate(b, Evaluator([MeanCorrect()]), 'syn/acc',
                                 1.0, scores[0])
    assert seen < N


def test_no_threshold_scores_everything_once():
    racing = Racing(_loader(), (0.25, 0.5), margin=0.0, seed=1)
    model = Candidate(0.6, 7)
    metrics, seen, stages = racing.evaluate(
        model, Evaluator([MeanCorrect()]), 'syn/acc', 1.0, None)
    assert seen == N and len(stages) == racing.checkpoints == 2
    assert metrics['syn/acc'] == pytest.approx(100.0 * model.correct.mean())


@pytest.mark.parametrize('fractions', [(), (0.0, 0.5), (0.5, 1.0)])
def test_bad_fractions_are_refused(fractions):
    with pytest.raises(ValueError, match='race_fractions'):
        Racing(_loader(), fractions)


def test_racing_and_predictor_through_hooks(demo_root, source_ckpt,
                                           tmp_path):
    """Raced candidates stop on a subset, the chosen ones are scored on
    the whole search split, and the counts reach the outputs; the arch
    search's predictor skips half of generation 1 and logs its tau."""
    race = dict(fractions=(0.25, 0.5), margin=0.0)
    hooks = [dict(type='transnas_mm.ArchSearchHook',
                  metric_key='accuracy/top1',
                  search=dict(population=6, generations=2, top_k=2,
                              num_mutation=3, num_crossover=3),
                  input_shape=(3, 48, 48), calibrate_batches=1,
                  noise_repeats=0, predictor=dict(keep=0.5),
                  racing=dict(race, top=1), fitness='inherited',
                  proxy=None),
             dict(type='transnas_mm.WeightSearchHook',
                  metric_key='accuracy/top1', mode='evolution',
                  search=dict(population=4, generations=2, top_k=2),
                  input_shape=(3, 48, 48), calibrate_batches=1,
                  heldout=False, noise_repeats=0, racing=race,
                  proxy=None)]
    cfg = demo_cfg('transnas/demo/cub_search.py', demo_root, str(tmp_path),
                   source_ckpt, {
                       'train_dataloader.dataset.indices': 32,
                       'train_dataloader.batch_size': 16,
                       'val_dataloader.dataset.indices': 64,
                       'train_cfg.max_epochs': 0, 'param_scheduler': [],
                       'custom_hooks': hooks})
    Runner.from_cfg(cfg).train()
    out = osp.join(str(tmp_path), 'search')
    for log, summary_file in (('search_log.jsonl', 'summary.json'),
                              ('nws_log.jsonl', 'weight_sources.json')):
        rows = [json.loads(ln) for ln in open(osp.join(out, log))]
        summary = json.load(open(osp.join(out, summary_file)))
        assert summary['images_evaluated'] == sum(r['images'] for r in rows)
        assert summary['raced'] == sum(r['status'] == 'raced' for r in rows)
        for r in rows:
            assert (r['images'] < 64) == (r['status'] == 'raced'), r
        full = [r for r in rows if r['status'] == 'ok']
        best = max(full, key=lambda r: r['score'])
        assert best['images'] == 64
    summary = json.load(open(osp.join(out, 'summary.json')))
    assert summary['raced'] > 0  # margin 0 on 16/32 images: some stop
    rows = [json.loads(ln) for ln in open(osp.join(out, 'search_log.jsonl'))]
    assert summary['evaluated'] == len(rows) == 6 + 3
    assert summary['skipped_by_predictor'] == 3
    assert all(('predicted' in r) == (r['generation'] == 1) for r in rows)
    [screened] = summary['predictor']
    assert screened['generation'] == 1 and screened['evaluated'] == sum(
        r['generation'] == 1 and r['score'] is not None for r in rows)
    assert -1.0 <= screened['kendall_tau'] <= 1.0
