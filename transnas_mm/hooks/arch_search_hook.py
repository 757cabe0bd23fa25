"""ArchSearchHook: the NAS module (architecture transfer) as a thin adapter
between runner events and :mod:`transnas_mm.search`."""
import copy
import hashlib
import os.path as osp
import statistics
from typing import Optional, Sequence, Tuple

from mmengine.dist import barrier, is_main_process
from mmengine.hooks import Hook
from mmengine.logging import print_log

from ..engine import find_supernet
from ..registry import HOOKS
from ..search import (STATE_FILE, WORST, ArchSearch, ProxyFinetune,
                      SearchConfig, SubnetScorer, calibration_batches,
                      check_finite, load_state, plot_pareto,
                      plot_search_curve, rerank, run_search, unwrap,
                      write_log, write_pareto)
from ..search.racing import Racing, race_settings
from ..space import CostTable, save_arch
from ..utils.atomic_io import atomic_write_json, remove_stale_temps


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
        include_reference: put the hand-designed chain (all ``mb_k3e6``) in
            the first generation, a known-good start.
        rerank_top: the final choice is made among the search's top
            ``rerank_top`` candidates by their score after a proxy finetune
            of ``proxy_iters`` SGD steps (``proxy_lr``) on fixed training
            batches: a fitness closer to the post-finetune result than the
            inherited-weights score. 0 or ``proxy_iters=0``: off.
        noise_repeats: the best candidate is scored again with this many
            other calibration draws; the std is the score noise, written
            to ``summary.json`` next to best minus median.
        racing: score candidates on growing subsets of the search split
            (``race_fractions``, then all) and stop one once its partial
            score plus ``race_margin * sqrt(N / n)`` cannot reach the
            current top-k (status ``'raced'`` in the log).
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
                 include_reference: bool = True,
                 rerank_top: int = 0,
                 proxy_iters: int = 0,
                 proxy_lr: float = 0.01,
                 noise_repeats: int = 2,
                 racing: bool = False,
                 race_fractions: Sequence[float] = (0.25, 0.5),
                 race_margin: float = 0.0,
                 seed: int = 0,
                 out_dir: str = 'search'):
        self.race = race_settings('ArchSearchHook', racing, race_fractions,
                                  race_margin)
        if rule not in ('greater', 'less'):
            raise ValueError(f"ArchSearchHook: rule: expected 'greater' or "
                             f"'less', got {rule!r}")
        if len(tuple(input_shape)) != 3 or tuple(input_shape)[0] != 3:
            raise ValueError(f'ArchSearchHook: input_shape: expected (3, H, '
                             f'W), got {tuple(input_shape)}')
        for name, value in (('calibrate_batches', calibrate_batches),
                            ('rerank_top', rerank_top),
                            ('proxy_iters', proxy_iters),
                            ('noise_repeats', noise_repeats)):
            if value < 0:
                raise ValueError(f'ArchSearchHook: {name}: expected >= 0, '
                                 f'got {value}')
        self.metric_key = metric_key
        self.rule = rule
        try:
            self.search_cfg = SearchConfig(
                mode=mode, population=population, generations=generations,
                top_k=top_k, mutation_prob=mutation_prob,
                num_mutation=num_mutation, num_crossover=num_crossover,
                edge_keep_prob=edge_keep_prob, flops_range=flops_range,
                params_range=params_range,
                include_reference=include_reference, seed=seed)
        except ValueError as e:
            raise ValueError(f'ArchSearchHook: {e}') from None
        self.rerank_top = rerank_top
        self.proxy_iters = proxy_iters
        self.proxy_lr = proxy_lr
        self.noise_repeats = noise_repeats
        self.input_shape = tuple(input_shape)
        self.calibrate_batches = calibrate_batches
        self.seed = seed
        self.out_dir = out_dir
        self.result: Optional[dict] = None

    def objective(self, runner) -> dict:
        """What the saved search state is only valid for: a resume with
        another objective is refused, naming what changed."""
        return dict(metric_key=self.metric_key, rule=self.rule,
                    input_shape=list(self.input_shape),
                    calibrate_batches=self.calibrate_batches,
                    val_size=len(runner.val_loop.dataloader.dataset),
                    **self.race)

    def after_train(self, runner) -> None:
        out = osp.join(runner.work_dir, self.out_dir)
        if is_main_process():
            remove_stale_temps(out)  # left by a kill during a write
        check_finite(unwrap(runner.model), 'ArchSearchHook')
        supernet = find_supernet(runner.model)
        table = CostTable.measure(supernet.space, self.input_shape,
                                  backbone=supernet)
        search = ArchSearch(supernet.space, table, self.search_cfg)
        extra = dict(supernet=supernet_digest(supernet),
                     **self.objective(runner))
        state_path = osp.join(out, STATE_FILE)
        if load_state(search, state_path, extra):
            print_log(f'resuming architecture search from {state_path} '
                      f'(generation {search.generation})', logger='current')
        calib = calibration_batches(runner.train_dataloader,
                                    self.calibrate_batches, self.seed)
        scorer = SubnetScorer(
            runner.model, lambda cand: supernet.set_arch(cand.arch), calib,
            self.calibrate_batches, runner.val_loop.dataloader,
            runner.val_loop.evaluator, self.metric_key, self.rule, self.seed)
        scorer.racing = Racing.from_settings(runner.val_loop.dataloader,
                                             self.race, self.seed)

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
        run_search(search, scorer, state_path, extra, on_generation)
        if search.best is None:
            self._write_outputs(out, search, table)
            barrier()
            first = next(iter(search.history.values()), None)
            raise RuntimeError(
                f'ArchSearchHook: every candidate failed (first: '
                f'{first.reason if first else "none evaluated"}); no '
                f'arch.json. See {osp.join(out, "search_log.jsonl")}; delete '
                f'{osp.join(out, STATE_FILE)} to search again')
        chosen, ranked = search.best, []
        if self.rerank_top > 1 and self.proxy_iters > 0:
            chosen, ranked = self._rerank(runner, supernet, search, scorer)
        noise = scorer.noise(
            search.history[chosen.key],
            [calibration_batches(runner.train_dataloader,
                                 self.calibrate_batches, self.seed + 1 + k)
             for k in range(self.noise_repeats)])
        self._write_outputs(out, search, table, chosen, ranked, noise)
        barrier()  # every rank sees the final arch.json from here on
        supernet.set_arch(chosen.arch)
        runner.model.train(was_training)
        self.result = dict(best=chosen.to_dict(), noise=noise,
                           timing=scorer.timing, images=scorer.images)

    def _rerank(self, runner, supernet, search, scorer):
        """The final choice among the top candidates by their score after
        a proxy finetune; weights restored after each and at the end."""
        model = unwrap(runner.model)
        snapshot = copy.deepcopy(model.state_dict())

        def prepare(cand) -> None:
            model.load_state_dict(snapshot)
            supernet.set_arch(cand.arch)

        proxy = ProxyFinetune(
            runner.model, calibration_batches(
                runner.train_dataloader, self.proxy_iters, self.seed + 100),
            self.proxy_iters, self.proxy_lr, self.seed)
        proxy_scorer = SubnetScorer(
            runner.model, prepare, scorer.calib_loader,
            self.calibrate_batches, scorer.val_loader, scorer.evaluator,
            self.metric_key, self.rule, self.seed)
        ranked = rerank(search.top(self.rerank_top), proxy_scorer, proxy)
        model.load_state_dict(snapshot)
        chosen = search.history[ranked[0].key] if ranked[0].score > WORST \
            else search.best
        print_log('rerank by proxy finetune: ' + ', '.join(
            f'{c.metrics["search_score"]:.4f}->{c.score:.4f}'
            for c in ranked), logger='current')
        return chosen, ranked

    def _write_outputs(self, out: str, search: ArchSearch,
                       table: CostTable, chosen=None, ranked=(),
                       noise: Optional[float] = None) -> None:
        """Logs and figures every generation; ``arch.json`` and
        ``summary.json`` once, at the end (``chosen`` given), so another
        rank or hook never reads an intermediate arch."""
        if not is_main_process():
            return
        cands = list(search.history.values())
        write_log(osp.join(out, 'search_log.jsonl'), cands)
        write_pareto(osp.join(out, 'pareto.json'), cands)
        plot_search_curve(osp.join(out, 'search_curve.png'), cands,
                          self.metric_key)
        plot_pareto(osp.join(out, 'pareto.png'), cands, self.metric_key)
        if chosen is None:
            return
        best = chosen
        ok = [c.score for c in cands if c.score > WORST]
        median = statistics.median(ok)
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
            raced=sum(c.status == 'raced' for c in cands),
            images_evaluated=sum(c.images for c in cands),
            input_shape=list(self.input_shape),
            median_score=median,
            score_noise=noise,
            best_minus_median=search.best.score - median,
            best_minus_median_over_noise=(
                (search.best.score - median) / noise
                if noise else None),
            selected_by='proxy finetune rerank' if ranked else
            'search score',
            rerank=[dict(flops=c.flops, search_score=c.metrics.get(
                'search_score'), proxy_score=c.score,
                layers=c.arch['layers']) for c in ranked]))
