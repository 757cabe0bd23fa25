"""The search library without a runner: evolution, constraints, uniqueness,
resume and failing candidates, on a deterministic synthetic fitness."""
import json
import math

import numpy as np
import pytest
import torch

from conftest import DEMO_SPACE
from transnas_mm.search import (WORST, ArchSearch, Candidate, SearchConfig,
                                load_state, pareto_front,
                                predictor_by_generation, run_search,
                                sample_arch_within)
from transnas_mm.search.arch.predictor import rank_correlation
from transnas_mm.search.outputs.artifacts import write_log
from transnas_mm.space import CostTable, LatencyTable, build_space
from transnas_mm.utils.atomic_io import atomic_write_json

SPACE = build_space(**DEMO_SPACE)


@pytest.fixture(scope='module')
def table():
    return CostTable.measure(SPACE, (3, 32, 32))


class SyntheticScorer:
    """Fitness with a known optimum: a fixed preferred op per layer, plus a
    bonus per used edge. ``fail`` makes some candidates raise."""

    def __init__(self, fail=None):
        rng = np.random.default_rng(123)
        self.prefer = [ly.candidates[int(rng.integers(len(ly.candidates)))]
                       for ly in SPACE.layers]
        self.fail = fail
        self.calls = 0

    def score(self, cand: Candidate, before_eval=None) -> Candidate:
        self.calls += 1
        if self.fail is not None and self.fail(cand.arch):
            cand.score, cand.status = WORST, 'failed'
            cand.reason = 'FloatingPointError: loss is nan'
            return cand
        layers = cand.arch['layers']
        cand.score = float(sum(ly['op'] == p for ly, p in
                               zip(layers, self.prefer)) +
                           0.1 * sum(len(ly['edges']) for ly in layers))
        return cand


def _search(table, tmp_path, name='state.json', **kw):
    cfg = SearchConfig(**{**dict(population=8, generations=5, top_k=4,
                                 mutation_prob=0.2, num_mutation=4,
                                 num_crossover=4, seed=0), **kw})
    return ArchSearch(SPACE, table, cfg), str(tmp_path / name)


def test_evolution_improves_and_never_repeats(table, tmp_path):
    search, state = _search(table, tmp_path)
    scorer = SyntheticScorer()
    run_search(search, scorer, state, progress=False)
    cands = list(search.history.values())
    assert scorer.calls == len(cands) == 8 * 5  # each arch scored once
    first = sorted(c.score for c in cands if c.generation == 0)
    assert search.best.score > float(np.median(first))
    assert search.best.score > max(first)  # evolution went past generation 0
    random_search, state2 = _search(table, tmp_path, 'r.json', mode='random')
    run_search(random_search, SyntheticScorer(), state2, progress=False)
    assert len(random_search.history) == 40


def test_constraints_reject_before_evaluation(table, tmp_path):
    flops = sorted(table.flops(a) for a in [
        sample_arch_within(SPACE, table, np.random.default_rng(s))
        for s in range(40)])
    lo, hi = flops[10], flops[30]
    search, state = _search(table, tmp_path, flops_range=(lo, hi))
    scorer = SyntheticScorer()
    run_search(search, scorer, state, progress=False)
    assert search.rejected > 0
    assert scorer.calls == len(search.history)
    assert all(lo <= c.flops <= hi for c in search.history.values())
    with pytest.raises(RuntimeError, match='flops_range'):
        impossible, st = _search(table, tmp_path, 'x.json',
                                 flops_range=(1, 2))
        impossible.propose()


class Killed(Exception):
    pass


@pytest.mark.parametrize('screen', [{}, dict(predictor=True,
                                             predictor_keep=0.4)])
def test_resume_gives_the_same_result(table, tmp_path, screen):
    full, state_full = _search(table, tmp_path, 'full.json', **screen)
    run_search(full, SyntheticScorer(), state_full, progress=False)

    def kill_after_two(search):
        if search.generation == 2:
            raise Killed

    part, state_part = _search(table, tmp_path, 'part.json', **screen)
    with pytest.raises(Killed):
        run_search(part, SyntheticScorer(), state_part,
                   on_generation=kill_after_two, progress=False)
    resumed, _ = _search(table, tmp_path, 'part.json', **screen)
    assert load_state(resumed, state_part, {})
    assert resumed.generation == 2
    run_search(resumed, SyntheticScorer(), state_part, progress=False)
    assert [c.key for c in resumed.history.values()] == \
        [c.key for c in full.history.values()]
    assert [c.score for c in resumed.history.values()] == \
        [c.score for c in full.history.values()]
    assert resumed.best.key == full.best.key
    assert [c.predicted for c in resumed.history.values()] == \
        [c.predicted for c in full.history.values()]
    assert resumed.skipped == full.skipped


def test_predictor_screens_children_and_finds_more_per_evaluation(
        table, tmp_path):
    """On an additive fitness (which a ridge on one-hot ops can learn),
    evaluating only the predicted best third of each generation's children
    finds better archs than the unscreened search with more evaluations."""
    rng = np.random.default_rng(9)
    unseen = [sample_arch_within(SPACE, table, rng) for _ in range(30)]
    truth = [SyntheticScorer().score(Candidate(a, 0, 0, 0)).score
             for a in unseen]
    screened_best, plain_best, taus = [], [], []
    for seed in range(5):
        screened, state = _search(table, tmp_path, f's{seed}.json',
                                  seed=seed, predictor=True,
                                  predictor_keep=1 / 3)
        scorer = SyntheticScorer()
        run_search(screened, scorer, state, progress=False)
        # generation 0 in full (8), then the best ceil(8/3) = 3 of 8
        assert scorer.calls == len(screened.history) == 8 + 4 * 3
        assert screened.skipped == 4 * 5
        cands = list(screened.history.values())
        assert all((c.predicted is None) == (c.generation == 0)
                   for c in cands)
        rows = predictor_by_generation(cands)
        assert [r['generation'] for r in rows] == [1, 2, 3, 4]
        assert all(r['evaluated'] == 3 for r in rows)
        screened_best.append(screened.best.score)
        # the fitted surrogate ranks unseen archs like the fitness does
        taus.append(rank_correlation(screened.predictor().predict(unseen),
                                     truth))
        plain, state = _search(table, tmp_path, f'p{seed}.json', seed=seed,
                               generations=3)  # 24 evaluations
        run_search(plain, SyntheticScorer(), state, progress=False)
        plain_best.append(plain.best.score)
    assert np.mean(screened_best) > np.mean(plain_best)
    assert np.mean(taus) > 0.2


def test_predictor_trusts_a_raced_score_less(table):
    """A score measured on a quarter of the split (raced) pulls the fit a
    quarter as hard: weighted least squares. Equal weights: plain ridge."""
    from transnas_mm.search.arch.predictor import RidgePredictor
    rng = np.random.default_rng(4)
    archs = [sample_arch_within(SPACE, table, rng) for _ in range(12)]
    truth = [SyntheticScorer().score(Candidate(a, 0, 0, 0)).score
             for a in archs]
    noisy = list(truth)
    noisy[0] += 50.0  # an outlier partial score
    full = RidgePredictor(SPACE).fit(archs, noisy)
    raced = RidgePredictor(SPACE).fit(archs, noisy, [0.25] + [1.0] * 11)
    off = lambda p: abs(p.predict(archs[:1])[0] - truth[0])  # noqa: E731
    assert off(raced) < off(full)
    same = RidgePredictor(SPACE).fit(archs, noisy, [0.5] * 12)
    assert np.array_equal(same.predict(archs), full.predict(archs))
    with pytest.raises(ValueError, match='predictor weights'):
        RidgePredictor(SPACE).fit(archs, noisy, [0.0] * 12)


def test_state_from_other_settings_is_refused(table, tmp_path):
    search, state = _search(table, tmp_path)
    search.cfg.generations = 1
    run_search(search, SyntheticScorer(), state, progress=False)
    other, _ = _search(table, tmp_path, population=9)
    with pytest.raises(ValueError, match='population'):
        other.load_state_dict(json.load(open(state)), source=state)


def test_failing_candidates_score_worst_and_search_goes_on(table, tmp_path):
    search, state = _search(table, tmp_path)
    fail = lambda arch: arch['layers'][0]['op'] == 'mb_k3e3'  # noqa: E731
    run_search(search, SyntheticScorer(fail), state, progress=False)
    failed = [c for c in search.history.values() if c.status == 'failed']
    assert failed and all(c.score == WORST and 'nan' in c.reason
                          for c in failed)
    assert search.best.arch['layers'][0]['op'] != 'mb_k3e3'
    assert len(search.history) == 40
    logged = json.load(open(state))['history']
    assert any(d['status'] == 'failed' and d['score'] is None
               for d in logged)


def test_pareto_front_is_non_dominated():
    mk = lambda s, f: Candidate(arch={'layers': []}, flops=f, params=0,  # noqa
                                generation=0, score=s)
    cands = [mk(1.0, 10), mk(2.0, 20), mk(1.5, 30), mk(3.0, 40),
             mk(WORST, 1)]
    assert [(c.score, c.flops) for c in pareto_front(cands)] == \
        [(1.0, 10), (2.0, 20), (3.0, 40)]


def _latency_table(seed=5):
    """A synthetic latency table (ms): known numbers, no timing noise."""
    rng = np.random.default_rng(seed)
    return LatencyTable(SPACE, (3, 32, 32), 0.5,
                        [{op: 0.0 if op == 'skip' else
                          float(rng.uniform(0.1, 1.0))
                          for op in ly.candidates} for ly in SPACE.layers],
                        [0.01] * SPACE.num_layers)


def test_latency_is_a_table_sum_and_a_constraint(table, tmp_path):
    lat = _latency_table()
    arch = sample_arch_within(SPACE, table, np.random.default_rng(0))
    expect = 0.5 + sum(lat.ops[i][ly['op']] + 0.01 * len(ly['edges'])
                       for i, ly in enumerate(arch['layers']))
    assert lat.latency(arch) == pytest.approx(expect)
    again = LatencyTable.from_dict(json.loads(json.dumps(lat.to_dict())),
                                   SPACE)
    assert again.latency(arch) == pytest.approx(expect)
    other = build_space(**{**DEMO_SPACE, 'stem_channels': 8})
    with pytest.raises(ValueError, match='space_fingerprint'):
        LatencyTable.from_dict(lat.to_dict(), other)
    values = sorted(lat.latency(sample_arch_within(
        SPACE, table, np.random.default_rng(s))) for s in range(40))
    lo, hi = values[10], values[30]
    cfg = SearchConfig(population=8, generations=3, top_k=4,
                       num_mutation=4, num_crossover=4,
                       latency_range=(lo, hi))
    search = ArchSearch(SPACE, table, cfg, lat)
    scorer = SyntheticScorer()
    run_search(search, scorer, str(tmp_path / 's.json'), progress=False)
    assert search.rejected > 0 and scorer.calls == len(search.history)
    for c in search.history.values():
        assert lo <= c.latency <= hi
        assert c.latency == pytest.approx(lat.latency(c.arch))
    with pytest.raises(ValueError, match='latency_range'):
        ArchSearch(SPACE, table, cfg)  # a range needs a table


def test_a_stage_without_the_metric_is_null_in_json(table, tmp_path):
    """A racing stage or a metric that could not be computed (NaN) is
    written as null, so strict JSON parsers read the log and the state;
    the state reads back to the same candidate."""
    arch = sample_arch_within(SPACE, table, np.random.default_rng(0))
    cand = Candidate(arch=arch, flops=1, params=1, generation=0, score=0.5,
                     images=10, stage_scores=[float('nan'), 0.25],
                     metrics={'acc': 0.5, 'ap_l': float('nan')})
    search, state = _search(table, tmp_path)
    search.finish_generation([cand])
    write_log(str(tmp_path / 'log.jsonl'), [cand])
    atomic_write_json(state, search.state_dict())

    def strict(text):
        return json.loads(text, parse_constant=pytest.fail)

    row = strict(open(tmp_path / 'log.jsonl').read())
    assert row['stage_scores'] == [None, 0.25]
    assert row['metrics'] == {'acc': 0.5, 'ap_l': None}
    strict(open(state).read())
    again, _ = _search(table, tmp_path)
    assert load_state(again, state, {})
    [back] = again.history.values()
    assert np.isnan(back.stage_scores[0]) and back.stage_scores[1] == 0.25
    assert back.key == cand.key and back.score == 0.5


class _LrRecorder(torch.nn.Module):
    """Records the lr each proxy step trains with (a real SGD step on one
    weight)."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.ones(1))
        self.lrs = []

    def train_step(self, data, optim):
        self.lrs.append(optim.optimizer.param_groups[0]['lr'])
        loss = (self.w * data).sum()
        optim.update_params(loss)
        return dict(loss=loss)


@pytest.mark.parametrize('schedule', ['constant', 'cosine'])
def test_proxy_finetune_schedule(schedule):
    """``cosine`` warms the proxy's lr up from ``lr / 10`` over the first
    sixth of its steps, then anneals it to 0 (the finetune's schedule,
    compressed); ``constant`` keeps it; both run exactly ``iters`` steps
    over the repeated batches."""
    from transnas_mm.search.scoring.proxy import ProxyFinetune
    model = _LrRecorder()
    ProxyFinetune(model, [torch.ones(1)] * 5, 12, 0.1, schedule=schedule)()
    warm = [0.01, 0.055]  # 2 of 12 steps: from lr / 10 towards lr
    anneal = [0.1 * 0.5 * (1 + math.cos(math.pi * t / 10))
              for t in range(10)]
    expected = warm + anneal if schedule == 'cosine' else [0.1] * 12
    assert model.lrs == pytest.approx(expected)
    with pytest.raises(ValueError, match='schedule'):
        ProxyFinetune(model, [], 8, 0.1, schedule='step')


def test_proxy_schedule_setting():
    """``proxy.schedule`` is checked with the hook's name; a saved state
    records it only when it is not the constant lr (a state saved before
    the option existed stays valid)."""
    from transnas_mm.search.settings import DEFAULT_PROXY, Proxy
    flat = Proxy.parse('H', dict(iters=5, schedule='constant'))
    assert 'proxy_schedule' not in flat.state()
    cos = Proxy.parse('H', dict(iters=5, schedule='cosine'))
    assert cos.state()['proxy_schedule'] == 'cosine'
    # A key left out takes the default proxy's value, not an older one.
    short = Proxy.parse('H', dict(iters=90))
    assert (short.lr, short.schedule) == (DEFAULT_PROXY['lr'],
                                          DEFAULT_PROXY['schedule'])
    assert short.state() == dict(proxy_iters=90, proxy_lr=0.02,
                                 proxy_schedule='cosine', proxy_share=0)
    with pytest.raises(ValueError, match=r'H: proxy.schedule: expected'):
        Proxy.parse('H', dict(iters=5, schedule='linear'))
