"""Architecture-search cost on the demo CUB target, side by side in one run
(same model, data, seeds and candidates):

* library loop without racing: candidates per minute; time per candidate
  split into BN calibration, evaluation and overhead; overhead ratio =
  time per candidate / (calibration + evaluation) [goal <= 1.10];
* the same search through ``ArchSearchHook.after_train`` (logs every
  generation, figures at the end): overhead ratio through the hook
  [goal <= 1.05];
* with racing (``race_fractions`` of the search split, then all) at each
  ``--race-margins``: search-split images evaluated and wall time vs no
  racing [goal: <= 1/3 of the images, <= 1/2 of the time], and whether
  the best architecture is the same (or its score within the noise);
* the constraint check per candidate (cost-table lookup) [goal: us].

``--checkpoint``: a whole-model checkpoint of the target (e.g. the demo's
adapted ``work_dirs/demo/cub/search/epoch_20.pth``); racing decisions are
only meaningful with trained weights. Without one, weights come from init
(throughput is the same; racing numbers then mean little).
"""
import argparse
import json
import os.path as osp
import statistics
import tempfile
import time

import numpy as np
from mmengine.config import Config
from mmengine.runner import Runner

import transnas_mm  # noqa: F401
from transnas_mm.datasets import prepare_demo_data
from transnas_mm.engine import find_supernet
from transnas_mm.hooks import ArchSearchHook
from transnas_mm.search import (ArchSearch, SearchConfig, SubnetScorer,
                                calibration_batches, run_search,
                                sample_arch_within)
from transnas_mm.search.racing import Racing, race_settings
from transnas_mm.space import CostTable, arch_key

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEFAULT_CKPT = osp.join(ROOT, 'work_dirs/demo/cub/search/epoch_20.pth')


def build_runner(data: str, checkpoint: str) -> Runner:
    cfg = Config.fromfile(osp.join(ROOT, 'configs/transnas/demo/'
                                   'cub_search.py'))
    cub = osp.join(data, 'CUB_200_2011') + '/'
    for dl in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[dl].dataset.data_root = cub
    cfg.model.backbone.init_cfg = None
    cfg.custom_hooks = []
    cfg.train_cfg.max_epochs = 0
    cfg.param_scheduler = None
    cfg.load_from = checkpoint or None
    cfg.resume = False
    cfg.work_dir = tempfile.mkdtemp()
    cfg.log_level = 'WARNING'
    runner = Runner.from_cfg(cfg)
    runner.train()  # 0 epochs: loads the checkpoint, nothing else
    return runner


def search_cfg(args, seed: int = 0) -> SearchConfig:
    return SearchConfig(population=args.population,
                        generations=args.generations, top_k=args.top_k,
                        num_mutation=args.population // 2,
                        num_crossover=args.population // 2,
                        include_reference=True, seed=seed)


def library_run(runner, table, args, race=None):
    """One search through the library loop; returns (search, scorer,
    wall seconds)."""
    supernet = find_supernet(runner.model)
    search = ArchSearch(supernet.space, table, search_cfg(args))
    scorer = SubnetScorer(
        runner.model, lambda cand: supernet.set_arch(cand.arch),
        calibration_batches(runner.train_dataloader, args.calibrate_batches),
        args.calibrate_batches, runner.val_loop.dataloader,
        runner.val_loop.evaluator, 'accuracy/top1')
    if race is not None:
        scorer.racing = Racing.from_settings(runner.val_loop.dataloader,
                                             race, 0)
    t0 = time.perf_counter()
    run_search(search, scorer, osp.join(tempfile.mkdtemp(), 'state.json'),
               progress=False)
    return search, scorer, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--data', default=osp.join(ROOT, 'data', 'demo'))
    parser.add_argument('--checkpoint', default=DEFAULT_CKPT if
                        osp.isfile(DEFAULT_CKPT) else '')
    parser.add_argument('--population', type=int, default=10)
    parser.add_argument('--generations', type=int, default=4)
    parser.add_argument('--top-k', type=int, default=5)
    parser.add_argument('--calibrate-batches', type=int, default=4)
    parser.add_argument('--race-fractions', type=float, nargs='+',
                        default=[0.25, 0.5])
    parser.add_argument('--race-margins', type=float, nargs='+',
                        default=[0.0, 2.0, 4.0])
    args = parser.parse_args()
    prepare_demo_data(args.data)
    runner = build_runner(args.data, args.checkpoint)
    supernet = find_supernet(runner.model)
    table = CostTable.measure(supernet.space, (3, 48, 48), backbone=supernet)
    val_images = len(runner.val_loop.dataloader.dataset)
    print(f'weights: {args.checkpoint or "init (no --checkpoint)"}; '
          f'search split {val_images} images')

    rng = np.random.default_rng(1)
    archs = [sample_arch_within(supernet.space, table, rng)
             for _ in range(2000)]
    search = ArchSearch(supernet.space, table, search_cfg(args))
    t0 = time.perf_counter()
    for a in archs:
        search.within_constraints(a)
    check_us = (time.perf_counter() - t0) / len(archs) * 1e6

    # 1. the library loop, no racing (the reference)
    base, scorer, wall = library_run(runner, table, args)
    n = len(base.history)
    calib = scorer.timing['calibrate'] / n
    evaluate = scorer.timing['evaluate'] / n
    result = dict(candidates=n, wall_s=wall,
                  candidates_per_min=n / wall * 60,
                  per_candidate_s=wall / n, calibrate_s=calib,
                  evaluate_s=evaluate,
                  overhead_ratio=wall / n / (calib + evaluate),
                  images=scorer.images, constraint_check_us=check_us,
                  val_images=val_images, best=base.best.score)
    print(f'library: {n} candidates, {result["candidates_per_min"]:.1f}/min,'
          f' per candidate {wall / n * 1e3:.0f} ms = calibration '
          f'{calib * 1e3:.0f} + evaluation {evaluate * 1e3:.0f} + other '
          f'{(wall / n - calib - evaluate) * 1e3:.0f} ms; overhead ratio '
          f'{result["overhead_ratio"]:.3f} (goal <= 1.10)')

    # 2. the same search through the hook
    hook = ArchSearchHook(metric_key='accuracy/top1', population=
                          args.population, generations=args.generations,
                          top_k=args.top_k,
                          num_mutation=args.population // 2,
                          num_crossover=args.population // 2,
                          input_shape=(3, 48, 48),
                          calibrate_batches=args.calibrate_batches,
                          noise_repeats=2,
                          out_dir=f'hook_{time.time_ns()}')
    t0 = time.perf_counter()
    CostTable.measure(supernet.space, (3, 48, 48), backbone=supernet)
    setup = time.perf_counter() - t0  # the hook's one-time cost table
    t0 = time.perf_counter()
    hook.after_train(runner)
    hook_wall = time.perf_counter() - t0
    timing = hook.result['timing']
    # calibration + evaluation of every scoring the hook did (the search's
    # candidates and the noise re-scorings)
    searched = timing['calibrate'] + timing['evaluate']
    hook_ratio = (hook_wall - setup) / searched
    noise = hook.result['noise']
    result.update(hook_wall_s=hook_wall, hook_setup_s=setup,
                  hook_overhead_ratio=hook_ratio,
                  hook_overhead_ratio_with_setup=hook_wall / searched,
                  noise=noise)
    same = hook.result['best']['layers'] == base.best.arch['layers']
    print(f'through ArchSearchHook: {hook_wall:.1f} s (cost table '
          f'{setup:.1f} s once), overhead ratio {hook_ratio:.3f} without '
          f'it, {hook_wall / searched:.3f} with it (goal <= 1.05); same best'
          f' arch as the library run: {same}; score noise {noise:.3f}')

    # 3. racing at each margin, same search
    result['racing'] = []
    for margin in args.race_margins:
        race = race_settings('benchmark', True, args.race_fractions, margin)
        raced, rscorer, rwall = library_run(runner, table, args, race)
        best_same = arch_key(raced.best.arch) == arch_key(base.best.arch)
        within = abs(raced.best.score - base.best.score) <= (noise or 0)
        row = dict(margin=margin, images=rscorer.images,
                   images_ratio=rscorer.images / scorer.images,
                   wall_s=rwall, wall_ratio=rwall / wall,
                   raced=sum(c.status == 'raced'
                             for c in raced.history.values()),
                   best=raced.best.score, same_best=best_same,
                   best_within_noise=within)
        result['racing'].append(row)
        print(f'racing margin {margin}: images {rscorer.images} / '
              f'{scorer.images} = {row["images_ratio"]:.2f} (goal <= 0.33),'
              f' wall {row["wall_ratio"]:.2f}x (goal <= 0.5), '
              f'{row["raced"]} raced; best {raced.best.score:.2f} vs '
              f'{base.best.score:.2f}: same arch {best_same}, within noise '
              f'{within}')
    scores = [c.score for c in base.history.values()]
    result['score_spread'] = dict(median=statistics.median(scores),
                                  best=max(scores))
    print(f'constraint check/candidate = {check_us:.1f} us (table lookup)')
    print(json.dumps(result))


if __name__ == '__main__':
    main()
