"""Architecture-search cost on a demo target, side by side in one run (same
model, data, seeds and search settings: those of the target's demo config):

* library loop, the reference (nothing cut, batches loaded again for
  every candidate: the search before this work): candidates per minute;
  time per candidate split into BN calibration, evaluation and overhead;
  overhead ratio = time per candidate / (calibration + evaluation)
  [goal <= 1.10];
* the same search through ``ArchSearchHook.after_train`` (logs every
  generation, figures at the end): overhead ratio [goal <= 1.05];
* the same search with its batches kept in memory (the library default,
  every row below has it): wall time, the same arch;
* the oracle race: the fewest images any race that keeps the search's
  parents could use (it knows every final score);
* racing at each ``--race-margins`` (in multiples of the score noise the
  hook row measures) against each ``--race-tops`` (the target's top_k,
  the best), the predictor (``predictor_keep`` of
  each later generation's children evaluated), and both: search-split
  images evaluated and wall time, in all and until the run's final best
  was first scored, vs the reference [goal: <= 1/3 of the images, <= 1/2
  of the time], and whether the best arch is the same (or its score
  within the measured score noise, or at least not below the reference's
  by more than it);
* the constraint check per candidate (cost-table lookup) [goal: us].

    python benchmarks/search_throughput.py --target cub|coco [--checkpoint
        work_dirs/demo/cub/search/epoch_20.pth]

``--checkpoint``: the target's adapted whole model (the demo's search run
writes it); racing and predictor numbers only mean something with trained
weights (without one, weights come from init).
"""
import argparse
import json
import os.path as osp
import statistics
import tempfile
import time

import numpy as np

import transnas_mm  # noqa: F401
from transnas_mm.comparison.adapted_runner import (build_adapted_runner,
                                                   hook_settings)
from transnas_mm.datasets import prepare_demo_data
from transnas_mm.engine import find_supernet
from transnas_mm.hooks import ArchSearchHook
from transnas_mm.search import (ArchSearch, SearchConfig,
                                predictor_by_generation, sample_arch_within)
from transnas_mm.search.arch.job import ArchSearchJob
from transnas_mm.search.job import SearchContext
from transnas_mm.search.scoring.racing import RaceSettings
from transnas_mm.search.settings import DEFAULT_PROXY, Scoring
from transnas_mm.space import CostTable, arch_key

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
TARGETS = dict(
    cub=('configs/transnas/demo/cub_search.py',
         'work_dirs/demo/cub/search/epoch_20.pth'),
    coco=('configs/transnas/demo/coco_search.py',
          'work_dirs/demo/coco/search/epoch_8.pth'))
# What the reference search leaves out (the rows below add racing and the
# predictor; a proxy finetune per candidate is training, not evaluation).
REFERENCE_OFF = ('out_dir', 'noise_repeats', 'predictor', 'proxy', 'fitness',
                 'rerank_top', 'racing')


def library_run(runner, table, hook, race=None, seed=None, cache_mb=None,
                predictor=None):
    """One search through the job's loop with the target's settings
    (``seed``: the search/calibration/racing seed, default the hook's;
    ``cache_mb``: batches kept in memory, default the library's, 0 = loaded
    per candidate as before; fitness with inherited weights); returns
    (search, scorer, wall seconds)."""
    seed = hook.get('seed', 0) if seed is None else seed
    scoring = Scoring(
        hook['metric_key'], input_shape=tuple(hook['input_shape']),
        calibrate_batches=hook['calibrate_batches'], noise_repeats=0,
        seed=seed, **({} if cache_mb is None else dict(cache_mb=cache_mb)),
        **({} if race is None else dict(race=race)))
    job = ArchSearchJob.build('benchmark', scoring, search=hook.get('search'),
                              predictor=predictor, fitness='inherited',
                              proxy=None)
    t0 = time.perf_counter()
    explored = job.explore(
        SearchContext.from_runner(runner), table,
        osp.join(tempfile.mkdtemp(), 'state.json'), progress=False)
    return explored.search, explored.scorer, time.perf_counter() - t0


def to_reach_best(search):
    """(images, seconds) spent until the final best was first scored."""
    images = seconds = 0.0
    for cand in search.history.values():  # evaluation order
        images += cand.images
        seconds += cand.seconds
        if cand.key == search.best.key:
            return images, seconds
    raise AssertionError('best not in history')


def oracle_race(search, k: int, first: float, total: int) -> float:
    """Images the cheapest race that keeps this search's path would use,
    knowing every final score in advance: it scores in full only the
    candidates that are among the top ``k`` at the end of some generation
    (the next generation's parents, in the search's ranking) and stops
    every other one after the first stage (``first`` of the split). A real
    race decides with less knowledge, so it keeps the same parents only at
    this cost or more."""
    order = {c.key: i for i, c in enumerate(search.history.values())}
    parents = set()
    for gen in range(search.generation):
        seen = [c for c in search.history.values() if c.generation <= gen]
        ranked = sorted(seen, key=lambda c: search._rank_key(c, order[c.key]))
        parents.update(c.key for c in ranked[:k])
    return sum(total if c.key in parents else max(1, round(first * total))
               for c in search.history.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--target', choices=sorted(TARGETS), default='cub')
    parser.add_argument('--data', default=osp.join(ROOT, 'data', 'demo'))
    parser.add_argument('--checkpoint', default=None,
                        help='adapted whole model (default: the demo\'s, '
                        'if it exists)')
    parser.add_argument('--race-fractions', type=float, nargs='+',
                        default=[0.25, 0.5])
    parser.add_argument('--race-margins', type=float, nargs='+',
                        default=[0.0, 2.0],
                        help='in multiples of the measured score noise')
    parser.add_argument('--race-tops', type=int, nargs='+', default=[0, 1],
                        help='race against the k-th best (0: the target\'s '
                        'top_k)')
    parser.add_argument('--predictor-keep', type=float, default=1 / 3)
    parser.add_argument('--seeds', type=int, default=1,
                        help='repeat the reference and every variant with '
                        'search seeds 0..N-1 (evolution is path-dependent: '
                        'one seed says little about "same arch")')
    parser.add_argument('--cache-mb', type=float, default=None,
                        help='batches kept in memory by every row but the '
                        'reference (default: the library\'s)')
    parser.add_argument('--skip-hook', action='store_true',
                        help='skip the through-the-hook overhead row')
    args = parser.parse_args()
    config, default_ckpt = (osp.join(ROOT, p) for p in TARGETS[args.target])
    if args.checkpoint is None:
        args.checkpoint = default_ckpt if osp.isfile(default_ckpt) else ''
    prepare_demo_data(args.data)
    hook = hook_settings(config)
    knobs = hook.get('search', {})
    top_k = knobs.get('top_k', SearchConfig.top_k)
    runner = build_adapted_runner(config, args.checkpoint)
    supernet = find_supernet(runner.model)
    shape = tuple(hook['input_shape'])
    table = CostTable.measure(supernet.space, shape, backbone=supernet)
    val_images = len(runner.val_loop.dataloader.dataset)
    proxy = hook.get('proxy', DEFAULT_PROXY)  # the config's, else the
    # hooks' default: what the demo search scores after
    if hook.get('fitness', 'proxy') != 'proxy':
        proxy = None
    print(f'target {args.target}: weights {args.checkpoint or "init"}; '
          f'search split {val_images} images; search '
          f'{knobs["population"]} x {knobs["generations"]} generations, '
          f'top {top_k}, metric {hook["metric_key"]}, fitness with '
          f'inherited weights'
          + (f' (the demo config scores after a {proxy["iters"]}-step '
             f'proxy finetune per candidate, left out here)'
             if proxy else ''))

    rng = np.random.default_rng(1)
    archs = [sample_arch_within(supernet.space, table, rng)
             for _ in range(2000)]
    probe = ArchSearch(supernet.space, table, SearchConfig())
    t0 = time.perf_counter()
    for a in archs:
        probe.within_constraints(a)
    check_us = (time.perf_counter() - t0) / len(archs) * 1e6

    # 1. the library loop, nothing cut, batches loaded per candidate: the
    # search as it was before racing, the predictor and the cache (the
    # reference every ratio below is against)
    base, scorer, wall = library_run(runner, table, hook, cache_mb=0)
    n = len(base.history)
    calib = scorer.timing['calibrate'] / n
    evaluate = scorer.timing['evaluate'] / n
    base_reach = to_reach_best(base)
    result = dict(target=args.target, candidates=n, wall_s=wall,
                  candidates_per_min=n / wall * 60,
                  per_candidate_s=wall / n, calibrate_s=calib,
                  evaluate_s=evaluate,
                  overhead_ratio=wall / n / (calib + evaluate),
                  images=scorer.images, constraint_check_us=check_us,
                  val_images=val_images, best=base.best.score,
                  reach_images=base_reach[0], reach_s=base_reach[1])
    print(f'library: {n} candidates, {result["candidates_per_min"]:.1f}/min,'
          f' per candidate {wall / n * 1e3:.0f} ms = calibration '
          f'{calib * 1e3:.0f} + evaluation {evaluate * 1e3:.0f} + other '
          f'{(wall / n - calib - evaluate) * 1e3:.0f} ms; overhead ratio '
          f'{result["overhead_ratio"]:.3f} (goal <= 1.10); best '
          f'{base.best.score:.4f} first scored after {base_reach[0]:.0f} '
          f'images, {base_reach[1]:.1f} s')

    # 2. the same search through the hook (also measures the score noise)
    search_hook = ArchSearchHook(
        **{k: v for k, v in hook.items() if k not in REFERENCE_OFF},
        noise_repeats=2, fitness='inherited', proxy=None,
        out_dir=f'hook_{time.time_ns()}')
    t0 = time.perf_counter()
    CostTable.measure(supernet.space, shape, backbone=supernet)
    setup = time.perf_counter() - t0  # the hook's one-time cost table
    t0 = time.perf_counter()
    search_hook.after_train(runner)
    hook_wall = time.perf_counter() - t0
    timing = search_hook.result['timing']
    searched = timing['calibrate'] + timing['evaluate']
    noise = search_hook.result['noise'] or 0.0
    result.update(hook_wall_s=hook_wall, hook_setup_s=setup,
                  hook_overhead_ratio=(hook_wall - setup) / searched,
                  hook_overhead_ratio_with_setup=hook_wall / searched,
                  noise=noise)
    same = search_hook.result['best']['layers'] == base.best.arch['layers']
    print(f'through ArchSearchHook: {hook_wall:.1f} s (cost table '
          f'{setup:.1f} s once), overhead ratio '
          f'{result["hook_overhead_ratio"]:.3f} without it, '
          f'{hook_wall / searched:.3f} with it (goal <= 1.05); same best '
          f'arch as the library run: {same}; score noise {noise:.4f}')

    # 3. what cuts the work: racing, the predictor, both
    def against(k):
        return 'the best' if k == 1 else f'top {k or top_k}'

    races = [(f'racing vs {against(k)}, margin {m} x noise',
              RaceSettings.checked('benchmark', True, args.race_fractions,
                            m * noise, k or None))
             for k in args.race_tops for m in args.race_margins]
    variants = [('batches kept in memory, nothing cut', None, {})]
    variants += [(name, race, {}) for name, race in races]
    screen = dict(predictor=dict(keep=args.predictor_keep))
    variants.append((f'predictor keep {args.predictor_keep:.2f}', None,
                     screen))
    variants += [(f'predictor + {name}', race, screen)
                 for name, race in races]
    first = hook.get('seed', 0)
    refs = {first: (base, scorer, wall)}
    for seed in range(first + 1, first + args.seeds):
        refs[seed] = library_run(runner, table, hook, seed=seed, cache_mb=0)
    bests = [r[0].best.score for r in refs.values()]
    if args.seeds > 1:
        pairs = [(a, b) for i, a in enumerate(bests) for b in bests[i + 1:]]
        print(f'reference, search seeds {first}-{first + args.seeds - 1}: best '
              + ', '.join(f'{b:.4f}' for b in bests) + f'; one seed\'s best '
              f'within noise of another\'s: '
              f'{sum(abs(a - b) <= noise for a, b in pairs)}/{len(pairs)} '
              f'pairs (how strict "within noise" is)')
    result['reference_best'] = bests
    # the floor for any race that keeps the search's path (same parents)
    oracle = [oracle_race(r[0], top_k, args.race_fractions[0],
                          val_images) / r[1].images for r in refs.values()]
    entered = [oracle_race(r[0], top_k, 0.0, val_images)
               / r[1].images for r in refs.values()]
    result['oracle_race_images_ratio'] = oracle
    result['oracle_race_any_stage_images_ratio'] = entered
    print(f'oracle race vs top {top_k} (knows every final score in '
          f'advance; parents scored in full, every other candidate stopped '
          f'after '
          f'{args.race_fractions[0]:g} of the split): images '
          + ', '.join(f'{o:.2f}x' for o in oracle) + ' per seed; with a '
          'first stage of 1 image: ' + ', '.join(f'{o:.2f}x' for o in entered)
          + ': no race that keeps the same parents can use fewer')
    result['variants'] = []
    for name, racing, kw in variants:
        per_seed = []
        for seed, (ref, ref_scorer, ref_wall) in refs.items():
            run, rscorer, rwall = library_run(runner, table, hook, racing,
                                              seed, args.cache_mb, **kw)
            reach, ref_reach = to_reach_best(run), to_reach_best(ref)
            per_seed.append(dict(
                seed=seed, candidates=len(run.history),
                images=rscorer.images,
                images_ratio=rscorer.images / ref_scorer.images,
                wall_s=rwall, wall_ratio=rwall / ref_wall,
                reach_images_ratio=reach[0] / ref_reach[0],
                reach_wall_ratio=reach[1] / ref_reach[1],
                raced=sum(c.status == 'raced'
                          for c in run.history.values()),
                skipped=run.skipped, best=run.best.score,
                reference_best=ref.best.score,
                same_best=arch_key(run.best.arch) == arch_key(ref.best.arch),
                best_within_noise=abs(run.best.score - ref.best.score)
                <= noise,
                not_worse=run.best.score >= ref.best.score - noise,
                predictor=predictor_by_generation(
                    list(run.history.values()))))
        row = dict(name=name, seeds=per_seed, **{
            key: statistics.mean(r[key] for r in per_seed)
            for key in ('images_ratio', 'wall_ratio', 'reach_images_ratio',
                        'reach_wall_ratio')},
            same_best=sum(r['same_best'] for r in per_seed),
            best_within_noise=sum(r['best_within_noise'] for r in per_seed),
            not_worse=sum(r['not_worse'] for r in per_seed))
        result['variants'].append(row)
        n_seeds = len(per_seed)
        taus = [f'{p["kendall_tau"]:.2f}' for r in per_seed
                for p in r['predictor']]
        print(f'{name}: {per_seed[0]["candidates"]} candidates '
              f'({per_seed[0]["raced"]} raced, {per_seed[0]["skipped"]} '
              f'skipped at seed {first}); images {row["images_ratio"]:.2f}x, '
              f'wall {row["wall_ratio"]:.2f}x; to reach the final best: '
              f'images {row["reach_images_ratio"]:.2f}x, wall '
              f'{row["reach_wall_ratio"]:.2f}x (goal <= 0.33 / 0.5); best '
              + ', '.join(f'{r["best"]:.4f}' for r in per_seed)
              + f'; same arch {row["same_best"]}/{n_seeds}, within noise '
              f'{row["best_within_noise"]}/{n_seeds}, not worse by more '
              f'than noise {row["not_worse"]}/{n_seeds}'
              + (f'; predictor tau per generation {", ".join(taus)}'
                 if taus else '')
              + (' (means over seeds)' if n_seeds > 1 else ''))
    scores = [c.score for c in base.history.values()]
    result['score_spread'] = dict(median=statistics.median(scores),
                                  best=max(scores))
    print(f'constraint check/candidate = {check_us:.1f} us (table lookup)')
    print(json.dumps(result))


if __name__ == '__main__':
    main()
