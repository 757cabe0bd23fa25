"""Architecture-search throughput on the demo CUB target, side by side:

* candidates per minute;
* time per candidate split into BN calibration, evaluation and overhead,
  printing overhead ratio = time per candidate / (calibration + evaluation)
  [goal <= 1.10];
* the constraint check per candidate (cost-table lookup) [goal: us, no
  model copies].
Uses the real Runner-built model, dataloaders and evaluator (weights from
init: throughput does not depend on them).
"""
import argparse
import json
import os.path as osp
import tempfile
import time

import numpy as np

from mmengine.config import Config
from mmengine.runner import Runner

import transnas_mm  # noqa: F401
from transnas_mm.datasets import prepare_demo_data
from transnas_mm.engine import find_supernet
from transnas_mm.search import (ArchSearch, SearchConfig, SubnetScorer,
                                calibration_batches, run_search,
                                sample_arch_within)
from transnas_mm.space import CostTable

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--data', default=osp.join(ROOT, 'data', 'demo'))
    parser.add_argument('--population', type=int, default=8)
    parser.add_argument('--generations', type=int, default=2)
    parser.add_argument('--calibrate-batches', type=int, default=4)
    args = parser.parse_args()
    prepare_demo_data(args.data)
    cfg = Config.fromfile(osp.join(ROOT, 'configs/transnas/demo/'
                                   'cub_search.py'))
    cub = osp.join(args.data, 'CUB_200_2011') + '/'
    for dl in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[dl].dataset.data_root = cub
    cfg.model.backbone.init_cfg = None
    cfg.custom_hooks = []
    cfg.work_dir = tempfile.mkdtemp()
    cfg.log_level = 'WARNING'
    runner = Runner.from_cfg(cfg)
    supernet = find_supernet(runner.model)
    table = CostTable.measure(supernet.space, (3, 48, 48), backbone=supernet)
    search = ArchSearch(supernet.space, table, SearchConfig(
        population=args.population, generations=args.generations,
        top_k=4, num_mutation=4, num_crossover=4))

    rng = np.random.default_rng(1)
    archs = [sample_arch_within(supernet.space, table, rng)
             for _ in range(2000)]
    t0 = time.perf_counter()
    for a in archs:
        search.within_constraints(a)
    check_us = (time.perf_counter() - t0) / len(archs) * 1e6

    scorer = SubnetScorer(
        runner.model, lambda cand: supernet.set_arch(cand.arch),
        calibration_batches(runner.train_dataloader, args.calibrate_batches),
        args.calibrate_batches, runner.val_loop.dataloader,
        runner.val_loop.evaluator, 'accuracy/top1')
    t0 = time.perf_counter()
    run_search(search, scorer, osp.join(cfg.work_dir, 'state.json'),
               progress=False)
    wall = time.perf_counter() - t0
    n = len(search.history)
    per = wall / n
    calib = scorer.timing['calibrate'] / n
    evaluate = scorer.timing['evaluate'] / n
    result = dict(candidates=n, wall_s=wall,
                  candidates_per_min=n / wall * 60,
                  per_candidate_s=per, calibrate_s=calib,
                  evaluate_s=evaluate,
                  overhead_s=per - calib - evaluate,
                  overhead_ratio=per / (calib + evaluate),
                  constraint_check_us=check_us,
                  val_images=len(runner.val_loop.dataloader.dataset))
    print(f'candidates/min             = {result["candidates_per_min"]:.1f} '
          f'({n} candidates, {result["val_images"]} val images)')
    print(f'per candidate              = {per * 1e3:.0f} ms: calibration '
          f'{calib * 1e3:.0f} ms, evaluation {evaluate * 1e3:.0f} ms, '
          f'other {result["overhead_s"] * 1e3:.0f} ms')
    print(f'overhead ratio             = {result["overhead_ratio"]:.3f} '
          f'(goal <= 1.10)')
    print(f'constraint check/candidate = {check_us:.1f} us (table lookup)')
    print(json.dumps(result))


if __name__ == '__main__':
    main()
