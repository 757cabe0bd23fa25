"""ArchSearchHook: the NAS module (architecture transfer) as a thin adapter
between runner events and :mod:`transnas_mm.search`."""
import copy
import os.path as osp
import statistics
from typing import Optional, Sequence, Tuple

from mmengine.dist import barrier, broadcast_object_list, is_main_process
from mmengine.logging import print_log

from ..registry import HOOKS
from ..search import (STATE_FILE, WORST, ArchSearch, ProxyFinetune, Search,
                      SearchConfig, load_state, plot_pareto,
                      plot_search_curve, predictor_by_generation, rerank,
                      run_search, unwrap, write_log, write_pareto)
from ..search.batch_cache import DEFAULT_CACHE_MB
from ..space import CostTable, LatencyTable, save_arch
from ..utils.atomic_io import atomic_write_json
from .search_hook import SearchHook


@HOOKS.register_module()
class ArchSearchHook(SearchHook):
    """Search the target's architecture after the (optional) supernet
    adaptation, i.e. in ``after_train`` of the configured train loop
    (``max_epochs=0`` / ``max_iters=0``: search at once).

    Fitness: ``metric_key`` of the runner's val evaluator on the val
    dataloader, full precision, for the sub-network with inherited weights
    after BN recalibration on ``calibrate_batches`` fixed training batches.

    Args (besides those of :class:`SearchHook`: metric_key, rule,
    input_shape, calibrate_batches, noise_repeats, racing, race_fractions,
    race_margin, race_top, seed, cache_mb, out_dir):
        mode: ``'evolution'`` or ``'random'`` (baseline).
        population, generations, top_k, mutation_prob, num_mutation,
        num_crossover, edge_keep_prob: evolution settings.
        flops_range, params_range: ``(low, high)`` or None; checked on the
            cost table before any evaluation.
        latency_range: ``(low, high)`` ms at ``input_shape``, batch 1, on
            this machine's CPU threads: a per-(layer, op) latency table is
            measured once (rank 0; kept in ``latency_table.json`` so a
            resume uses the same numbers) and checked like FLOPs.
        predictor, predictor_keep: after the first generation, fit a ridge
            surrogate on the candidates scored so far and evaluate only the
            predicted best ``predictor_keep`` of each generation's children
            (the rest cost nothing); its Kendall tau per generation goes to
            the log and ``summary.json``. Off by default.
        include_reference: put the hand-designed chain (all ``mb_k3e6``) in
            the first generation, a known-good start.
        rerank_top: the final choice is made among the search's top
            ``rerank_top`` candidates by their score after a proxy finetune
            of ``proxy_iters`` SGD steps (``proxy_lr``) on fixed training
            batches: a fitness closer to the post-finetune result than the
            inherited-weights score. 0 or ``proxy_iters=0``: off.
        proxy_fitness: score *every* candidate after that proxy finetune
            (weights restored before each), not only the final top. For
            targets whose new head was fitted on one path (detection: the
            inherited score then mostly measures closeness to that path).
            Costs ``proxy_iters`` training steps per candidate.
        The best candidate is scored again with ``noise_repeats`` other
        calibration draws; the std is the score noise, written to
        ``summary.json`` next to best minus median.
    """

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
                 latency_range: Optional[Tuple[float, float]] = None,
                 input_shape: Sequence[int] = (3, 224, 224),
                 calibrate_batches: int = 8,
                 include_reference: bool = True,
                 predictor: bool = False,
                 predictor_keep: float = 0.5,
                 rerank_top: int = 0,
                 proxy_iters: int = 0,
                 proxy_lr: float = 0.01,
                 proxy_fitness: bool = False,
                 noise_repeats: int = 2,
                 racing: bool = False,
                 race_fractions: Sequence[float] = (0.25, 0.5),
                 race_margin: float = 0.0,
                 race_top: Optional[int] = None,
                 seed: int = 0,
                 cache_mb: float = DEFAULT_CACHE_MB,
                 out_dir: str = 'search'):
        super().__init__(metric_key, rule, input_shape, calibrate_batches,
                         noise_repeats, racing, race_fractions, race_margin,
                         race_top, seed, cache_mb, out_dir)
        for name, value in (('rerank_top', rerank_top),
                            ('proxy_iters', proxy_iters)):
            if value < 0:
                raise ValueError(f'ArchSearchHook: {name}: expected >= 0, '
                                 f'got {value}')
        try:
            self.search_cfg = SearchConfig(
                mode=mode, population=population, generations=generations,
                top_k=top_k, mutation_prob=mutation_prob,
                num_mutation=num_mutation, num_crossover=num_crossover,
                edge_keep_prob=edge_keep_prob, flops_range=flops_range,
                params_range=params_range, latency_range=latency_range,
                include_reference=include_reference, predictor=predictor,
                predictor_keep=predictor_keep, seed=seed)
        except ValueError as e:
            raise ValueError(f'ArchSearchHook: {e}') from None
        if proxy_fitness and proxy_iters < 1:
            raise ValueError('ArchSearchHook: proxy_fitness: needs '
                             f'proxy_iters >= 1, got {proxy_iters}')
        self.rerank_top = rerank_top
        self.proxy_iters = proxy_iters
        self.proxy_lr = proxy_lr
        self.proxy_fitness = proxy_fitness
        self.result: Optional[dict] = None

    def after_train(self, runner) -> None:
        out = self._start(runner)
        supernet = self._supernet(runner)
        table = CostTable.measure(supernet.space, self.input_shape,
                                  backbone=supernet)
        latency = self._latency_table(out, supernet) \
            if self.search_cfg.latency_range is not None else None
        search = ArchSearch(supernet.space, table, self.search_cfg, latency)
        proxy_state = dict(proxy_iters=self.proxy_iters,
                           proxy_lr=self.proxy_lr) \
            if self.proxy_fitness else {}
        valid_for = self._valid_for(runner, supernet, **proxy_state)
        state_path = osp.join(out, STATE_FILE)
        if load_state(search, state_path, valid_for):
            print_log(f'resuming architecture search from {state_path} '
                      f'(generation {search.generation})', logger='current')
        prepare, before_eval, restore = self._fitness(runner, supernet)
        scorer = self._scorer(runner, prepare)

        def on_generation(s: Search) -> None:
            gen = [c.score for c in s.history.values()
                   if c.generation == s.generation - 1 and c.score > WORST]
            runner.visualizer.add_scalars(
                {'search/best_score': s.best.score if s.best else
                 float('nan'),
                 'search/generation_median':
                 statistics.median(gen) if gen else float('nan')},
                step=s.generation)
            screened = predictor_by_generation(
                [c for c in s.history.values()
                 if c.generation == s.generation - 1])
            if screened:
                tau = screened[0]['kendall_tau']
                runner.visualizer.add_scalars(
                    {'search/predictor_tau': tau}, step=s.generation)
                print_log(f'predictor: evaluated {screened[0]["evaluated"]}'
                          f' of the generation\'s children (skipped '
                          f'{s.skipped} so far), Kendall tau predicted vs '
                          f'measured {tau:.2f}', logger='current')
            self._write_outputs(out, s, table, final=False)

        was_training = runner.model.training
        run_search(search, scorer, state_path, valid_for, on_generation,
                   before_eval, race_k=self.race['race_top'])
        restore()  # the adapted weights, not the last candidate's finetune
        if search.best is None:
            self._write_outputs(out, search, table)
            barrier()
            raise self._all_failed(search, osp.join(out, 'search_log.jsonl'),
                                   state_path, 'no arch.json')
        chosen, ranked = search.best, []
        if self.rerank_top > 1 and self.proxy_iters > 0:
            chosen, ranked = self._rerank(runner, supernet, search, scorer)
        noise = scorer.noise(search.history[chosen.key],
                             self._noise_batches(runner), before_eval)
        restore()
        self._write_outputs(out, search, table, chosen, ranked, noise)
        barrier()  # every rank sees the final arch.json from here on
        supernet.set_arch(chosen.arch)
        runner.model.train(was_training)
        self.result = dict(best=chosen.to_dict(), noise=noise,
                           timing=scorer.timing, images=scorer.images)

    def _fitness(self, runner, supernet):
        """(prepare, before_eval, restore) of the search's fitness: set the
        path; with ``proxy_fitness``, the proxy finetune's."""
        if not self.proxy_fitness:
            return (lambda cand: supernet.set_arch(cand.arch), None,
                    lambda: None)
        return self._proxy(runner, supernet)

    def _proxy(self, runner, supernet):
        """(prepare, proxy, restore): ``prepare`` restores the weights and
        sets the path, ``proxy`` finetunes, ``restore`` puts the weights
        back once done."""
        model = unwrap(runner.model)
        snapshot = copy.deepcopy(model.state_dict())

        def prepare(cand) -> None:
            model.load_state_dict(snapshot)
            supernet.set_arch(cand.arch)

        proxy = ProxyFinetune(
            runner.model, self._batches(runner, self.proxy_iters, 100),
            self.proxy_iters, self.proxy_lr, self.seed)
        return prepare, proxy, lambda: model.load_state_dict(snapshot)

    def _latency_table(self, out: str, supernet) -> LatencyTable:
        """Measured once on rank 0 (or read back on resume), broadcast: every
        rank checks the same numbers."""
        path = osp.join(out, 'latency_table.json')
        doc = [None]
        if is_main_process():
            if osp.isfile(path):
                doc[0] = LatencyTable.load(path, supernet.space).to_dict()
            else:
                table = LatencyTable.measure(supernet.space, self.input_shape,
                                             backbone=supernet)
                table.save(path)
                doc[0] = table.to_dict()
        broadcast_object_list(doc, src=0)
        return LatencyTable.from_dict(doc[0], supernet.space, path)

    def _rerank(self, runner, supernet, search, scorer):
        """The final choice among the top candidates by their score after
        a proxy finetune; weights restored after each and at the end."""
        prepare, proxy, restore = self._proxy(runner, supernet)
        proxy_scorer = self._scorer(runner, prepare, scorer.calib_loader)
        proxy_scorer.racing = None
        ranked = rerank(search.top(self.rerank_top), proxy_scorer, proxy)
        restore()
        chosen = search.history[ranked[0].key] if ranked[0].score > WORST \
            else search.best
        print_log('rerank by proxy finetune: ' + ', '.join(
            f'{c.metrics["search_score"]:.4f}->{c.score:.4f}'
            for c in ranked), logger='current')
        return chosen, ranked

    def _write_outputs(self, out: str, search: Search,
                       table: CostTable, chosen=None, ranked=(),
                       noise: Optional[float] = None,
                       final: bool = True) -> None:
        """The log and Pareto front every generation (cheap); figures at
        the end (``final``: drawing them each generation cost ~58 ms a
        candidate); ``arch.json`` and ``summary.json`` once, at the end
        (``chosen`` given), so another rank or hook never reads an
        intermediate arch."""
        if not is_main_process():
            return
        cands = list(search.history.values())
        write_log(osp.join(out, 'search_log.jsonl'), cands)
        write_pareto(osp.join(out, 'pareto.json'), cands)
        if not final:
            return
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
            flops=best.flops, params=best.params, latency_ms=best.latency,
            generations_done=search.generation,
            evaluated=len(search.history), rejected=search.rejected,
            skipped_by_predictor=search.skipped,
            predictor=predictor_by_generation(cands),
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
            'search score' + (' (after a proxy finetune)'
                              if self.proxy_fitness else ''),
            rerank=[dict(flops=c.flops, search_score=c.metrics.get(
                'search_score'), proxy_score=c.score,
                layers=c.arch['layers']) for c in ranked]))
