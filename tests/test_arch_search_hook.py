"""ArchSearchHook through the real Runner on the demo targets: outputs,
search quality vs random candidates, 1 vs 2 ranks, kill + resume, and
candidates without detections."""
import glob
import json
import os
import os.path as osp
import signal
import statistics
import subprocess
import sys
import time

import pytest
from mmengine.runner import Runner

from conftest import CONFIGS, ROOT, demo_cfg, free_port
from transnas_mm.space import load_arch
from transnas_mm.utils import safe_torch_load

SEARCH = dict(type='transnas_mm.ArchSearchHook', metric_key='accuracy/top1',
              search=dict(population=6, generations=3, top_k=3,
                          mutation_prob=0.3, num_mutation=3,
                          num_crossover=3),
              input_shape=(3, 48, 48), calibrate_batches=2, seed=0,
              # scored with inherited weights (the hooks' default proxy
              # fitness is covered by its own tests below)
              fitness='inherited', proxy=None)


def knobs(hook: dict, **search) -> dict:
    """``hook`` with some of its ``search`` knobs changed."""
    return dict(hook, search={**hook['search'], **search})
SMALL_CUB = {
    'train_dataloader.dataset.indices': 64,
    'train_dataloader.batch_size': 16,
    'val_dataloader.dataset.indices': 48,
    'train_cfg.max_epochs': 2,
    'train_cfg.val_interval': 10,
    'param_scheduler': [],
    'default_hooks.checkpoint.interval': 1,
}


def _log(work: str) -> list:
    with open(osp.join(work, 'search', 'search_log.jsonl')) as f:
        return [json.loads(line) for line in f]


def test_search_writes_outputs_and_beats_random_median(
        demo_root, source_ckpt, tmp_path):
    cfg = demo_cfg('transnas/demo/cub_search.py', demo_root, str(tmp_path),
                   source_ckpt, {**SMALL_CUB, 'custom_hooks': [SEARCH]})
    runner = Runner.from_cfg(cfg)
    runner.train()
    out = osp.join(str(tmp_path), 'search')
    for name in ('arch.json', 'search_log.jsonl', 'pareto.json',
                 'search_curve.png', 'pareto.png', 'summary.json',
                 'search_state.json'):
        assert osp.getsize(osp.join(out, name)) > 0, name
    log = _log(str(tmp_path))
    assert len(log) == 18
    assert len({json.dumps(r['layers']) for r in log}) == 18
    for r in log:
        assert r['status'] == 'ok' and r['flops'] > 0 and r['params'] > 0
        assert r['seconds'] > 0
        # full precision, never rounded
        assert r['score'] == r['metrics']['accuracy/top1']
    random_median = statistics.median(r['score'] for r in log
                                      if r['generation'] == 0)
    summary = json.load(open(osp.join(out, 'summary.json')))
    assert summary['best_score'] > random_median
    assert summary['best_score'] == max(r['score'] for r in log)
    best = load_arch(osp.join(out, 'arch.json'))
    top = min(log, key=lambda r: (-r['score'], r['flops']))  # ties: cheaper
    assert best['layers'] == top['layers']
    pareto = json.load(open(osp.join(out, 'pareto.json')))
    assert pareto and any(p['score'] == summary['best_score']
                          for p in pareto)
    # scalars reached MMEngine's visualizer backends
    [scalars] = [osp.join(d, 'vis_data', 'scalars.json')
                 for d in (osp.join(str(tmp_path), x)
                           for x in os.listdir(str(tmp_path)))
                 if osp.isfile(osp.join(d, 'vis_data', 'scalars.json'))]
    assert 'search/best_score' in open(scalars).read()


def test_rerank_by_proxy_finetune_and_score_noise(demo_root, source_ckpt,
                                                  tmp_path):
    hook = dict(knobs(SEARCH, population=4, generations=1), rerank_top=3,
                proxy=dict(iters=3, lr=0.01), noise_repeats=2)
    cfg = demo_cfg('transnas/demo/cub_search.py', demo_root, str(tmp_path),
                   source_ckpt, {**SMALL_CUB, 'custom_hooks': [hook]})
    runner = Runner.from_cfg(cfg)
    runner.train()
    out = osp.join(str(tmp_path), 'search')
    summary = json.load(open(osp.join(out, 'summary.json')))
    log = _log(str(tmp_path))
    # the hand chain is in the first generation
    from transnas_mm.space import reference_arch
    supernet = runner.model.backbone
    assert reference_arch(supernet.space)['layers'] in [r['layers']
                                                        for r in log]
    ranked = summary['rerank']
    assert summary['selected_by'] == 'proxy finetune rerank'
    assert len(ranked) == 3
    assert [r['proxy_score'] for r in ranked] == sorted(
        (r['proxy_score'] for r in ranked), reverse=True)
    top3 = sorted(log, key=lambda r: (-r['score'], r['flops']))[:3]
    assert sorted(r['search_score'] for r in ranked) == sorted(
        r['score'] for r in top3)
    assert load_arch(osp.join(out, 'arch.json'))['layers'] == \
        ranked[0]['layers']
    # noise measured, and best-minus-median reported against it
    assert summary['score_noise'] >= 0
    assert summary['best_minus_median'] == pytest.approx(
        max(r['score'] for r in log) - statistics.median(
            r['score'] for r in log))


def test_detector_without_detections_fails_candidates_then_the_run(
        demo_root, source_ckpt, tmp_path):
    hook = dict(knobs(SEARCH, population=3, generations=2, top_k=2,
                      num_mutation=1, num_crossover=1),
                metric_key='coco/bbox_mAP', input_shape=(3, 128, 128))
    cfg = demo_cfg('transnas/demo/coco_search.py', demo_root, str(tmp_path),
                   source_ckpt, {
                       'train_dataloader.dataset.indices': 8,
                       'train_dataloader.batch_size': 4,
                       'val_dataloader.dataset.indices': 8,
                       'train_cfg.max_epochs': 1,
                       'train_cfg.val_interval': 10,
                       'param_scheduler': [],
                       'model.test_cfg.score_thr': 1.01,  # nothing passes
                       'custom_hooks': [hook],
                   })
    # every candidate is scored (a failure is data), then the run stops
    # with the reason instead of exiting 0 with nothing
    with pytest.raises(RuntimeError) as err:
        Runner.from_cfg(cfg).train()
    assert 'every candidate failed' in str(err.value)
    assert 'no detections' in str(err.value)
    log = _log(str(tmp_path))
    assert len(log) == 6
    for r in log:
        assert r['status'] == 'failed' and r['score'] is None
        assert 'no detections' in r['reason']
    assert not osp.exists(osp.join(str(tmp_path), 'search', 'arch.json'))


def test_latency_range_through_the_hook(demo_root, source_ckpt, tmp_path):
    hook = dict(knobs(SEARCH, population=3, generations=1, num_mutation=1,
                      num_crossover=1), noise_repeats=0,
                constraints=dict(latency=(0.0, 1e6)))
    opts = {**SMALL_CUB, 'train_cfg.max_epochs': 0, 'custom_hooks': [hook]}
    Runner.from_cfg(demo_cfg('transnas/demo/cub_search.py', demo_root,
                             str(tmp_path), source_ckpt, opts)).train()
    out = osp.join(str(tmp_path), 'search')
    table_file = osp.join(out, 'latency_table.json')
    table = json.load(open(table_file))
    assert table['unit'] == 'ms' and table['input_shape'] == [3, 48, 48]
    log = _log(str(tmp_path))
    assert all(r['latency'] > table['stem'] for r in log)
    summary = json.load(open(osp.join(out, 'summary.json')))
    best = max(log, key=lambda r: (r['score'], -r['flops']))
    assert summary['latency_ms'] == pytest.approx(best['latency'])
    # a rerun resumes with the saved table, not a new (noisy) measurement
    before = open(table_file).read()
    Runner.from_cfg(demo_cfg('transnas/demo/cub_search.py', demo_root,
                             str(tmp_path), source_ckpt, opts)).train()
    assert open(table_file).read() == before
    assert [r['latency'] for r in _log(str(tmp_path))] == \
        [r['latency'] for r in log]


def _searches(demo_root, source_ckpt, tmp_path, hook: dict, opts: dict,
              variants: dict) -> dict:
    """Per variant (extra hook arguments): the search log, the weights the
    search left and the runner."""
    runs = {}
    for name, extra in variants.items():
        work = str(tmp_path / name)
        runner = Runner.from_cfg(demo_cfg(
            'transnas/demo/cub_search.py', demo_root, work, source_ckpt,
            {**opts, 'custom_hooks': [dict(hook, **extra)]}))
        runner.train()
        runs[name] = (_log(work), {k: v.clone() for k, v in
                                   runner.model.named_parameters()}, runner)
    return runs


def _adapted_weights_back(adapted: dict, after: dict, work: str) -> None:
    """The proxies' finetunes are undone: the adapted weights, except the
    heads where head_start='auto' chose fresh ones (the search leaves
    those for the weight search; which start wins can depend on the thread
    count's rounding)."""
    picked = json.load(open(osp.join(work, 'search', 'head_start.json')))[
        'picked']
    kept = [k for k in adapted if picked == 'adapted' or
            k.startswith('backbone.')]
    assert len(kept) > len(adapted) // 2
    assert all(adapted[k].equal(after[k]) for k in kept)


def test_proxy_fitness_scores_finetuned_paths_then_restores_weights(
        demo_root, source_ckpt, tmp_path):
    """``fitness='proxy'``: each candidate is scored after its own proxy
    finetune from the same adapted weights (generation 0 is the same set
    of archs, the scores move), the weights are put back afterwards, and
    a resume with other proxy settings is refused."""
    hook = dict(knobs(SEARCH, population=3, generations=1, num_mutation=1,
                      num_crossover=1), noise_repeats=0)
    opts = {**SMALL_CUB, 'train_cfg.max_epochs': 0}
    runs = _searches(demo_root, source_ckpt, tmp_path, hook, opts, dict(
        inherit={}, proxy=dict(fitness='proxy', proxy=dict(iters=3,
                                                           lr=0.05))))
    (inherit, params_a, _), (proxy, params_b, _) = runs['inherit'], \
        runs['proxy']
    assert [r['layers'] for r in inherit] == [r['layers'] for r in proxy]
    # a 48-image top-1 moves in steps of 2.08, so one candidate may tie by
    # chance (it does with one thread per process); a proxy skipped, or run
    # for one candidate only, moves at most one score
    moved = sum(a['score'] != b['score'] for a, b in zip(inherit, proxy))
    assert moved >= len(inherit) - 1 >= 2
    work = str(tmp_path / 'proxy')
    _adapted_weights_back(params_a, params_b, work)
    state = json.load(open(osp.join(work, 'search', 'search_state.json')))
    assert state['extra']['proxy_iters'] == 3
    with pytest.raises(ValueError, match='extra.proxy_iters'):
        Runner.from_cfg(demo_cfg(
            'transnas/demo/cub_search.py', demo_root, work, source_ckpt,
            {**opts, 'custom_hooks': [dict(hook, fitness='proxy',
                                           proxy=dict(iters=4, lr=0.05))]
             })).train()
    with pytest.raises(ValueError, match="fitness='proxy' needs proxy"):
        Runner.from_cfg(demo_cfg(
            'transnas/demo/cub_search.py', demo_root, work, source_ckpt,
            {**opts, 'custom_hooks': [dict(hook, fitness='proxy')]}))


def test_head_start_auto_searches_as_the_start_it_picks(
        demo_root, source_ckpt, tmp_path):
    """head_start='auto' scores the reference arch from the adapted heads
    and from fresh ones, then searches exactly as head_start=<picked>
    does (same log, same weights left for the weight search): the choice
    leaves no trace on the search but its cost. The two starts differ."""
    hook = dict(knobs(SEARCH, population=3, generations=1, num_mutation=1,
                      num_crossover=1), noise_repeats=0, fitness='proxy',
                proxy=dict(iters=3, lr=0.05))
    opts = {**SMALL_CUB, 'train_cfg.max_epochs': 0}
    runs = _searches(demo_root, source_ckpt, tmp_path, hook, opts, {
        start: dict(head_start=start)
        for start in ('adapted', 'fresh', 'auto')})
    choice = json.load(open(osp.join(str(tmp_path / 'auto'), 'search',
                                     'head_start.json')))
    for start in ('adapted', 'fresh'):  # the reference arch is scored first
        assert runs[start][0][0]['score'] == \
            choice['search_split'][start]
    picked, other = choice['picked'], {'adapted': 'fresh',
                                       'fresh': 'adapted'}[choice['picked']]
    (log, params, _), (log_p, params_p, _) = runs['auto'], runs[picked]
    assert [dict(r, seconds=0) for r in log] == \
        [dict(r, seconds=0) for r in log_p]
    # the reference arch is not proxy-finetuned again: the search took the
    # choice's candidate, its time included
    assert log[0]['seconds'] == choice['candidates'][picked]['seconds']
    assert log[0]['layers'] == choice['candidates'][picked]['layers']
    assert all(params[k].equal(params_p[k]) for k in params)
    head = 'head.fc.weight'
    assert not params[head].equal(runs[other][1][head])
    summary = json.load(open(osp.join(str(tmp_path / 'auto'), 'search',
                                      'summary.json')))
    assert summary['head_start'] == dict(
        picked=picked, search_split=choice['search_split'])


SHARED = dict(fitness='proxy', proxy=dict(iters=2, lr=0.05, share=2))


def test_shared_proxy_scores_a_generation_on_one_run(demo_root, source_ckpt,
                                                     tmp_path):
    """``proxy=dict(share=2)``: a generation of 4 is trained in two runs of
    2 candidates (each from the adapted weights, 2 steps per candidate,
    the paths in turn), every candidate scored on its run's weights.
    Training generation 0's runs again and scoring each candidate on its
    run's one set of weights gives the logged scores; the scores moved
    from inherited weights; the noise is taken on each run's best while
    its weights are there, and the chosen arch's is reported; the adapted
    weights are put back; settings that cannot share are refused."""
    from transnas_mm.hooks import ArchSearchHook, WeightSearchHook
    from transnas_mm.search import Candidate
    from transnas_mm.search.job import SearchContext, WeightSnapshot
    hook = dict(knobs(SEARCH, population=4, generations=2, num_mutation=2,
                      num_crossover=1), noise_repeats=1)
    opts = {**SMALL_CUB, 'train_cfg.max_epochs': 0}
    runs = _searches(demo_root, source_ckpt, tmp_path, hook, opts,
                     dict(inherit={}, shared=SHARED))
    (inherit, params_a, _), (shared, params_b, runner) = runs['inherit'], \
        runs['shared']
    _adapted_weights_back(params_a, params_b, str(tmp_path / 'shared'))
    gen0 = [r for r in shared if r['generation'] == 0]
    assert [r['layers'] for r in gen0] == [
        r['layers'] for r in inherit if r['generation'] == 0]
    moved = sum(a['score'] != b['score'] for a, b in zip(inherit, gen0))
    assert moved >= len(gen0) - 1 >= 2  # see the per-candidate proxy test
    # generation 0 again, by the library, on the model the run left
    [job] = [h.job for h in runner.hooks if isinstance(h, ArchSearchHook)]
    ctx = SearchContext.from_runner(runner)
    supernet = ctx.supernet
    cands = [Candidate.from_dict(r, supernet.space) for r in gen0]
    snapshot = WeightSnapshot(ctx.model)
    build = job.scorers(ctx)
    shared_runs = build.shared_proxy(snapshot)
    scorer = build.scorer(build.set_path(), racing=False)
    parts = shared_runs.plan(cands)
    assert [len(p) for p in parts] == [2, 2]
    again = []
    for part in parts:
        shared_runs.train(part)
        again += [scorer.score(c).score for c in part]
    assert again == [r['score'] for r in gen0]
    snapshot.restore()
    # the noise: measured on the best of each run, reported for the chosen
    out = osp.join(str(tmp_path / 'shared'), 'search')
    summary = json.load(open(osp.join(out, 'summary.json')))
    chosen = min(shared, key=lambda r: (-r['score'], r['flops']))
    assert summary['score_noise'] == chosen['noise'] >= 0
    for gen in (0, 1):
        rows = [r for r in shared if r['generation'] == gen]
        for part in shared_runs.plan(rows):
            top = max(r['score'] for r in part)
            assert all(('noise' in r) == (r['score'] == top) for r in part)
    assert 'shared proxy finetune: 2 steps per candidate, about 2' in \
        summary['selected_by']
    state = json.load(open(osp.join(out, 'search_state.json')))
    assert state['extra']['proxy_share'] == 2
    with pytest.raises(ValueError, match='extra.proxy_share'):
        Runner.from_cfg(demo_cfg(
            'transnas/demo/cub_search.py', demo_root,
            str(tmp_path / 'shared'), source_ckpt,
            {**opts, 'custom_hooks': [dict(hook, fitness='proxy', proxy=dict(
                iters=2, lr=0.05))]})).train()
    for kwargs, what in ((dict(rungs=(1, )), 'takes no rungs'),
                         (dict(score='loss'), 'the loss fitness is gone'),
                         (dict(share=True), 'expected 0 .off. or'),
                         (dict(share=1), 'expected 0 .off. or')):
        with pytest.raises(ValueError, match=what):
            ArchSearchHook('accuracy/top1', fitness='proxy', proxy=dict(
                SHARED['proxy'], **kwargs))
    with pytest.raises(ValueError, match='rerank_top=0'):
        ArchSearchHook('accuracy/top1', **SHARED, rerank_top=2)
    with pytest.raises(ValueError, match='WeightSearchHook: proxy.share'):
        WeightSearchHook('accuracy/top1', proxy=SHARED['proxy'])


# -- distributed and resume: real tools/train.py subprocesses ------------


NWS = dict(type='transnas_mm.WeightSearchHook', metric_key='accuracy/top1',
           mode='evolution', search=dict(population=3, generations=2,
                                         top_k=2),
           input_shape=(3, 48, 48), calibrate_batches=2, heldout=False,
           seed=0, proxy=None)


# what cuts the work, on: racing (arch search against the best), the
# predictor, batches kept in memory (the default), a shared proxy
SCREENED = dict(racing=dict(top=1), predictor=dict(keep=0.5), **SHARED)
LADDER = dict(fitness='proxy',
              proxy=dict(iters=3, rungs=(1, 2), keep=0.5, lr=0.05,
                         schedule='cosine'), head_start='auto')


def _write_config(path, demo_root, source_ckpt, screened=False) -> str:
    cub = osp.join(demo_root, 'CUB_200_2011') + '/'
    # the plain config scores by the proxy ladder (1, 2, 3 steps, each
    # rung its own annealed run) from the heads head_start='auto' picks:
    # 1 vs 2 ranks and kill + resume cover both
    hook = dict(knobs(SEARCH, generations=3),
                **(SCREENED if screened else LADDER))
    nws = dict(NWS, racing=dict() if screened else None)
    # max_epochs=0 (search at once) with the config's LR schedule kept:
    # tools/train.py must cope, as README says.
    path.write_text(f'''
_base_ = {osp.join(CONFIGS, 'transnas/demo/cub_search.py')!r}
model = dict(backbone=dict(init_cfg=dict(checkpoint={source_ckpt!r})))
train_dataloader = dict(batch_size=16, dataset=dict(data_root={cub!r},
                                                    indices=64))
val_dataloader = dict(dataset=dict(data_root={cub!r}, indices=48))
test_dataloader = val_dataloader
# Search at once (no adaptation): N-rank training would see other batches
# than 1-rank training, the search itself must not differ.
train_cfg = dict(max_epochs=0, val_interval=10)
custom_hooks = [{hook!r}, {nws!r}]
''')
    return str(path)


def _launch(config: str, work: str, nproc: int) -> subprocess.Popen:
    """1 rank: python tools/train.py; N ranks: tools/dist_train.sh, which
    finds the interpreter itself (here: the repository's .venv)."""
    env = dict(os.environ, OMP_NUM_THREADS='1', PORT=str(free_port()))
    env.pop('PYTHON', None)
    if nproc == 1:
        cmd = [sys.executable, osp.join(ROOT, 'tools', 'train.py'), config,
               '--work-dir', work]
        env['PYTHONPATH'] = ROOT
    else:
        cmd = ['bash', osp.join(ROOT, 'tools', 'dist_train.sh'), config,
               str(nproc), '--work-dir', work]
    return subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)


def _finish(proc: subprocess.Popen) -> str:
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, out[-4000:]
    return out


@pytest.fixture(scope='module')
def one_rank(demo_root, source_ckpt, tmp_path_factory):
    tmp = tmp_path_factory.mktemp('one_rank')
    config = _write_config(tmp / 'cfg.py', demo_root, source_ckpt)
    _finish(_launch(config, str(tmp / 'work'), 1))
    return config, str(tmp / 'work')


def _result(work: str):
    return [(json.dumps(r['layers']), r['score'], r['status'], r['images'],
             r.get('stage_scores'), r.get('predicted')) for r in _log(work)]


def _outputs(work: str) -> dict:
    """What must be byte-identical on 1 and N ranks."""
    out = osp.join(work, 'search')
    files = {name: open(osp.join(out, name)).read()
             for name in ('arch.json', 'weight_sources.json')}
    subnet = safe_torch_load(osp.join(out, 'subnet.pth'))['state_dict']
    return dict(files, subnet={k: v.numpy().tobytes()
                               for k, v in subnet.items()})


def _same_on_two_ranks(config: str, work1: str, tmp_path) -> str:
    """Runs ``config`` on 2 ranks; returns their output."""
    work2 = str(tmp_path / 'work')
    out = _finish(_launch(config, work2, 2))
    assert _result(work2) == _result(work1)
    one, two = _outputs(work1), _outputs(work2)
    assert one['subnet'] and one['subnet'].keys() == two['subnet'].keys()
    for key in one['subnet']:
        assert one['subnet'][key] == two['subnet'][key], key
    assert one == two
    assert not glob.glob(osp.join(work2, '**', '*.tmp'), recursive=True)
    return out


def test_one_and_two_ranks_find_the_same_arch_and_weights(one_rank,
                                                          tmp_path):
    """The ladder's arch search and the weight search, each rank scoring
    its share of every generation and rung (spread): the same candidates,
    scores and outputs as one rank scoring them all."""
    out = _same_on_two_ranks(*one_rank, tmp_path)
    assert out.count('candidates spread over 2 ranks') >= 3, out[-3000:]


@pytest.fixture(scope='module')
def screened(demo_root, source_ckpt, tmp_path_factory):
    """The screened config (racing, predictor, shared proxy) on 1 rank."""
    tmp = tmp_path_factory.mktemp('screened')
    config = _write_config(tmp / 'cfg.py', demo_root, source_ckpt,
                           screened=True)
    _finish(_launch(config, str(tmp / 'work'), 1))
    return config, str(tmp / 'work')


def test_one_and_two_ranks_race_and_screen_alike(screened, tmp_path):
    """Racing (each rank its shard of every stage), the predictor (fitted
    on every rank), the kept batches and the shared proxy (the same run on
    every rank): the same candidates, the same partial scores and outputs
    on 1 and 2 ranks."""
    config, work1 = screened
    rows = _log(work1)
    assert any(r['status'] == 'raced' for r in rows)
    assert any('predicted' in r for r in rows)
    assert any('noise' in r for r in rows)  # the shared proxy's
    out = _same_on_two_ranks(config, work1, tmp_path)
    assert 'spread over' not in out  # racing and shared runs: together


def _killed_and_resumed(config: str, work1: str, tmp_path,
                        kept=()) -> None:
    """Killed after its first generation, resumed: the same result; the
    search files named in ``kept`` are read back, not written again."""
    work = str(tmp_path / 'work')
    state = osp.join(work, 'search', 'search_state.json')
    proc = _launch(config, work, 1)
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        if osp.isfile(state) and json.load(open(state))['generation'] >= 1:
            break
        time.sleep(0.2)
    assert proc.poll() is None, 'search ended before it could be killed'
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()
    assert json.load(open(state))['generation'] < 3
    before = {f: open(osp.join(work, 'search', f)).read() for f in kept}
    _finish(_launch(config, work, 1))
    for f, text in before.items():
        assert open(osp.join(work, 'search', f)).read() == text, f
    assert _result(work) == _result(work1)
    assert _outputs(work) == _outputs(work1)
    assert not glob.glob(osp.join(work, '**', '*.tmp'), recursive=True)


def test_killed_search_resumes_to_the_same_result(one_rank, tmp_path):
    """Mid-ladder (the one_rank config's proxy ladder), the head start
    read back, not chosen again."""
    _killed_and_resumed(*one_rank, tmp_path, kept=('head_start.json', ))
    choice = [json.load(open(osp.join(w, 'search', 'head_start.json')))
              for w in (str(tmp_path / 'work'), one_rank[1])]
    untimed = [dict(c, seconds=0, candidates={
        k: dict(v, seconds=0) for k, v in c['candidates'].items()})
        for c in choice]  # two runs: the same choice, not the same seconds
    assert untimed[0] == untimed[1]


def test_head_start_auto_scores_both_starts_once(one_rank):
    """head_start='auto' (the one_rank run): the reference arch scored
    after the proxy from the adapted heads and from fresh ones, the
    better kept, the choice logged."""
    config, work = one_rank
    choice = json.load(open(osp.join(work, 'search', 'head_start.json')))
    scores = choice['search_split']
    assert set(scores) == {'adapted', 'fresh'}
    assert all(isinstance(v, float) for v in scores.values())
    assert choice['picked'] == ('fresh' if scores['fresh'] >
                                scores['adapted'] else 'adapted')
    assert choice['valid_for']['head_start'] == 'auto'
    log = open(glob.glob(osp.join(work, '*', '*.log'))[0]).read()
    assert f'proxy finetunes start from the {choice["picked"]} heads' in log


def test_killed_shared_proxy_search_resumes_to_the_same_result(screened,
                                                               tmp_path):
    """A resumed generation trains its shared run again, the same."""
    _killed_and_resumed(*screened, tmp_path)


def test_proxy_ladder_promotes_the_best_of_each_rung(one_rank):
    """Successive halving over the proxy budget (the one_rank run): in each
    generation every candidate is scored after 1 step, the best half after
    2, the best half of those after 3; the chosen arch is the best at the
    top rung (ties: fewer FLOPs, then first scored)."""
    _, work = one_rank
    log = _log(work)
    for gen in range(3):
        rows = [r for r in log if r['generation'] == gen]
        assert sorted(len(r['rung_scores']) for r in rows) == \
            [1, 1, 1, 2, 3, 3]
        first = sorted((r['rung_scores'][0] for r in rows), reverse=True)
        promoted = [r for r in rows if len(r['rung_scores']) > 1]
        assert sorted(r['rung_scores'][0] for r in promoted) == \
            sorted(first[:3])
    assert all(r['score'] == r['rung_scores'][-1] for r in log)
    finalists = [(i, r) for i, r in enumerate(log)
                 if len(r['rung_scores']) == 3]
    _, top = min(finalists, key=lambda t: (-t[1]['score'], t[1]['flops'],
                                           t[0]))
    out = osp.join(work, 'search')
    assert load_arch(osp.join(out, 'arch.json'))['layers'] == top['layers']
    summary = json.load(open(osp.join(out, 'summary.json')))
    assert 'ladder of 1/2/3 steps' in summary['selected_by']
    from transnas_mm.hooks import ArchSearchHook
    with pytest.raises(ValueError, match='racing do not combine'):
        ArchSearchHook('accuracy/top1', **LADDER, racing=dict())
