"""ArchSearchHook: the NAS module (architecture transfer) as a thin adapter
between runner events and :mod:`transnas_mm.search`."""
import hashlib
import os.path as osp
import statistics
from typing import Optional, Sequence, Tuple

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.logging import print_log

from ..engine import find_supernet
from ..registry import HOOKS
from ..search import (STATE_FILE, WORST, ArchSearch, SearchConfig,
                      SubnetScorer, calibration_batches, load_state,
                      plot_pareto, plot_search_curve, run_search, write_log,
                      write_pareto)
from ..space import CostTable, save_arch
from ..utils.atomic_io import atomic_write_json


def supernet_digest(supernet) -> str:
    """Hash of the supernet's parameters (BN buffers change during search)."""
    h = hashlib.sha256()
    for name, p in sorted(supernet.named_parameters()):
        h.update(name.encode())
        h.update(p.detach().cpu().numpy().tobytes())
    return h.hexdigest()[:16]


@HOOKS.register_module()
class ArchSearchHook(Hook):
    """Search the target's architecture after the (optional) supernet
    adaptation, i.e. in ``after_train`` of the configured train loop
    (``max_epochs=0`` / ``max_iters=0``: search at once).

    Fitness: ``metric_key`` of the runner's val evaluator on the val
    dataloader, full precision, for the sub-network with inherited weights
    after BN recalibration on ``calibrate_batches`` fixed training batches.

    Args:
        metric_key: e.g. ``'coco/bbox_mAP'`` or ``'accuracy/top1'``.
        rule: ``'greater'`` or ``'less'`` is better.
        mode: ``'evolution'`` or ``'random'`` (baseline).
        population, generations, top_k, mutation_prob, num_mutation,
        num_crossover, edge_keep_prob, seed: evolution settings.
        flops_range, params_range: ``(low, high)`` or None; checked on the
            cost table before any evaluation.
        input_shape: ``(C, H, W)`` at which FLOPs are counted.
        calibrate_batches: training batches for BN recalibration.
        out_dir: folder under ``work_dir``.
    """

    priority = 'LOW'

    def __init__(self,
                 metric_key: str,
                 rule: str = 'greater',
                 mode: str = 'evolution',
                 population: int = 20,
                 generations: int = 10,
                 top_k: int = 10,
                 mutation_prob: float = 0.1,
                 num_mutation: int = 10,
                 num_crossover: int = 10,
                 edge_keep_prob: float = 0.5,
                 flops_range: Optional[Tuple[float, float]] = None,
                 params_range: Optional[Tuple[float, float]] = None,
                 input_shape: Sequence[int] = (3, 224, 224),
                 calibrate_batches: int = 8,
                 seed: int = 0,
                 out_dir: str = 'search'):
        self.metric_key = metric_key
        self.rule = rule
        self.search_cfg = SearchConfig(
            mode=mode, population=population, generations=generations,
            top_k=top_k, mutation_prob=mutation_prob,
            num_mutation=num_mutation, num_crossover=num_crossover,
            edge_keep_prob=edge_keep_prob, flops_range=flops_range,
            params_range=params_range, seed=seed)
        self.input_shape = tuple(input_shape)
        self.calibrate_batches = calibrate_batches
        self.seed = seed
        self.out_dir = out_dir
        self.result: Optional[dict] = None

    def after_train(self, runner) -> None:
        out = osp.join(runner.work_dir, self.out_dir)
        supernet = find_supernet(runner.model)
        table = CostTable.measure(supernet.space, self.input_shape,
                                  backbone=supernet)
        search = ArchSearch(supernet.space, table, self.search_cfg)
        digest = supernet_digest(supernet)
        state_path = osp.join(out, STATE_FILE)
        if load_state(search, state_path, dict(supernet=digest)):
            print_log(f'resuming architecture search from {state_path} '
                      f'(generation {search.generation})', logger='current')
        scorer = SubnetScorer(
            runner.model, lambda cand: supernet.set_arch(cand.arch),
            calibration_batches(runner.train_dataloader,
                                self.calibrate_batches, self.seed),
            self.calibrate_batches, runner.val_loop.dataloader,
            runner.val_loop.evaluator, self.metric_key, self.rule, self.seed)

        def on_generation(s: ArchSearch) -> None:
            best = s.best
            gen = [c.score for c in s.history.values()
                   if c.generation == s.generation - 1 and c.score > WORST]
            runner.visualizer.add_scalars(
                {'search/best_score': best.score if best else float('nan'),
                 'search/generation_median':
                 statistics.median(gen) if gen else float('nan')},
                step=s.generation)
            self._write_outputs(out, s, table)

        was_training = runner.model.training
        run_search(search, scorer, state_path, dict(supernet=digest),
                   on_generation)
        self._write_outputs(out, search, table)
        supernet.set_arch(search.best.arch if search.best else None)
        runner.model.train(was_training)
        self.result = dict(
            best=search.best.to_dict() if search.best else None,
            timing=scorer.timing)

    def _write_outputs(self, out: str, search: ArchSearch,
                       table: CostTable) -> None:
        if not is_main_process():
            return
        cands = list(search.history.values())
        write_log(osp.join(out, 'search_log.jsonl'), cands)
        write_pareto(osp.join(out, 'pareto.json'), cands)
        plot_search_curve(osp.join(out, 'search_curve.png'), cands,
                          self.metric_key)
        plot_pareto(osp.join(out, 'pareto.png'), cands, self.metric_key)
        best = search.best
        if best is None:
            return
        save_arch(best.arch, osp.join(out, 'arch.json'))
        table.save(osp.join(out, 'cost_table.json'))
        atomic_write_json(osp.join(out, 'summary.json'), dict(
            metric_key=self.metric_key, rule=self.rule,
            best_score=best.score,
            best_value=best.metrics.get(self.metric_key),
            best_metrics=best.metrics,
            flops=best.flops, params=best.params,
            generations_done=search.generation,
            evaluated=len(search.history), rejected=search.rejected,
            input_shape=list(self.input_shape)))
