"""The NAS module as one library call: search the target's architecture on
an (adapted) super-network, choose, measure the score noise, write
``arch.json`` and the rest. ``ArchSearchHook`` runs it after training;
benchmarks run it on a model they built."""
import os.path as osp
import statistics
from typing import (Any, Callable, Dict, List, NamedTuple, Optional, Tuple,
                    Union)

from mmengine.dist import barrier, broadcast_object_list, is_main_process
from mmengine.logging import print_log

from ..space import (CostTable, LatencyTable, SearchSpace, reference_arch,
                     save_arch)
from .arch_search import ArchSearch, SearchConfig
from .artifacts import write_log, write_pareto
from .base import Search, generation_scalars
from .candidate import WORST, Candidate
from .fitness import SubnetScorer
from .head_start import (DEFAULT_HEAD_START, HEAD_STARTS, Prescored,
                         choose_head_start, chosen_reference, describe,
                         fresh_heads)
from .job import (PROXY, BelowFloor, SearchContext, SearchJob,
                  WeightSnapshot)
from .ladder import Ladder
from .loop import STATE_FILE, load_state, run_search
from .plots import plot_pareto, plot_search_curve
from .predictor import predictor_by_generation
from .rerank import rerank
from .settings import DEFAULT_PROXY, Proxy, Scoring, group
from .shared_proxy import SharedProxy
from .summaries import ArchSummary

FITNESS = ('inherited', 'proxy')


class Explored(NamedTuple):
    """What :meth:`ArchSearchJob.explore` leaves: the search, its scorer,
    the weights every candidate starts from (None with inherited weights)
    and the hook run before each evaluation."""
    search: Search
    scorer: SubnetScorer
    snapshot: Optional[WeightSnapshot]
    before_eval: Callable


class ArchSearchJob(SearchJob):
    """Evolution (or random search) over the space, scored by ``fitness``:

    * ``'inherited'``: the sub-network's metric on the search split with
      inherited weights after BN recalibration;
    * ``'proxy'``: the same after ``proxy`` SGD steps of the candidate
      (weights restored before each): a target whose head was fitted on one
      path otherwise mostly scores closeness to that path.

    ``rerank_top > 1`` (with ``proxy``): the final choice among the top
    candidates by their score after the proxy finetune. The chosen arch is
    scored again on the other calibration draws: that std is the noise.

    ``head_start`` (with ``fitness='proxy'``): the heads every proxy
    finetune starts from, ``'adapted'``, ``'fresh'`` or ``'auto'`` (the
    better on the search split; :mod:`.head_start`); None: ``'auto'`` with
    the proxy fitness, else ``'adapted'``. The search leaves the model
    with them, so the weight search after it starts there too.
    """

    def __init__(self, scoring: Scoring, search: SearchConfig,
                 proxy: Optional[Proxy] = None, fitness: str = 'inherited',
                 rerank_top: int = 0, out_dir: str = 'search',
                 owner: Optional[str] = None,
                 head_start: Optional[str] = None):
        super().__init__(scoring, proxy, out_dir, owner)
        if fitness not in FITNESS:
            raise ValueError(f'{self.owner}: fitness: expected one of '
                             f'{FITNESS}, got {fitness!r}')
        if head_start is None:
            head_start = DEFAULT_HEAD_START[fitness]
        if head_start not in HEAD_STARTS:
            raise ValueError(f'{self.owner}: head_start: expected one of '
                             f'{HEAD_STARTS}, got {head_start!r}')
        if head_start != 'adapted' and fitness != 'proxy':
            raise ValueError(f'{self.owner}: head_start={head_start!r}: '
                             f'only a proxy finetune trains fresh heads; '
                             f"expected fitness='proxy' with it")
        if fitness == 'proxy' and proxy is None:
            raise ValueError(f"{self.owner}: fitness='proxy' needs "
                             f'proxy=dict(iters=N) with N >= 1')
        if fitness == 'proxy' and (proxy.rungs or proxy.score == 'loss') \
                and scoring.race['racing']:
            raise ValueError(f'{self.owner}: proxy: a ladder or a loss '
                             f'score and racing do not combine; expected '
                             f'one of them')
        if proxy is not None and proxy.share and rerank_top > 1:
            raise ValueError(f'{self.owner}: proxy.share: a rerank scores '
                             f'candidates after proxies of their own, not '
                             f'comparable with shared ones; expected '
                             f'rerank_top=0')
        if rerank_top < 0:
            raise ValueError(f'{self.owner}: rerank_top: expected >= 0, got '
                             f'{rerank_top}')
        self.search_cfg = search
        self.fitness = fitness
        self.rerank_top = rerank_top
        self.head_start = head_start
        # the heads the proxies start from, unless the adapted ones by
        # default: dict(picked, search_split, ...), set by start_heads
        self.heads: Optional[dict] = None

    @classmethod
    def build(cls, owner: str, scoring: Scoring, mode: str = 'evolution',
              search: Optional[dict] = None,
              constraints: Optional[dict] = None,
              predictor: Optional[dict] = None,
              proxy: Optional[dict] = DEFAULT_PROXY, fitness: str = 'proxy',
              rerank_top: int = 0, out_dir: str = 'search',
              head_start: Optional[str] = None) -> 'ArchSearchJob':
        """From the hook's grouped arguments, checked with ``owner``'s
        name in every message."""
        knobs = group(owner, 'search', search or {}, (
            'population', 'generations', 'top_k', 'mutation_prob',
            'num_mutation', 'num_crossover', 'edge_keep_prob',
            'include_reference', 'max_draws'))
        knobs.setdefault('include_reference', True)
        limits = group(owner, 'constraints', constraints or {},
                       ('flops', 'params', 'latency'))
        screen = group(owner, 'predictor', predictor, ('keep',))
        try:
            cfg = SearchConfig(
                mode=mode, **knobs,
                **{f'{k}_range': v for k, v in limits.items()},
                predictor=screen is not None,
                predictor_keep=(screen or {}).get('keep', 0.5),
                seed=scoring.seed)
        except ValueError as e:
            raise ValueError(f'{owner}: {e}') from None
        return cls(scoring, cfg, Proxy.parse(owner, proxy), fitness,
                   rerank_top, out_dir, owner, head_start)

    def run(self, ctx: SearchContext,
            on_generation: Optional[Callable[[Search], None]] = None
            ) -> Dict[str, Any]:
        """Search, choose, write the outputs (rank 0), leave the chosen
        arch set on the super-network; returns the best candidate, the
        noise, timing and images evaluated. Resumes a saved state."""
        out = self.start(ctx)
        supernet = ctx.supernet
        table = CostTable.of(supernet, self.scoring.input_shape)
        latency = self.latency_table(out, supernet) \
            if self.search_cfg.latency_range is not None else None

        state_path = osp.join(out, STATE_FILE)
        log = osp.join(out, 'search_log.jsonl')

        def after_generation(s: Search) -> None:
            self.log_predictor(s)
            self.write_outputs(out, s, table, final=False)
            self.check_floor(s, log, state_path)
            if on_generation is not None:
                on_generation(s)

        was_training = ctx.model.training
        search, scorer, snapshot, before_eval = self.explore(
            ctx, table, state_path, after_generation, latency)
        restore = snapshot.restore if snapshot else (lambda: None)
        restore()  # the adapted weights, not the last candidate's finetune
        if search.best is None:
            self.write_outputs(out, search, table)
            barrier()
            raise self.all_failed(search, log, state_path, 'no arch.json')
        chosen, ranked = search.best, []
        if self.rerank_top > 1 and self.proxy is not None:
            chosen, ranked = self.rerank(ctx, supernet, search, scorer,
                                         snapshot)
        noise = search.history[chosen.key].noise if self.sharing else \
            scorer.noise(search.history[chosen.key],
                         self.noise_batches(ctx), before_eval)
        restore()
        self.write_outputs(out, search, table, chosen, ranked, noise)
        barrier()  # every rank sees the final arch.json from here on
        supernet.set_arch(chosen.arch)
        ctx.model.train(was_training)
        return dict(best=chosen.to_dict(), noise=noise,
                    timing=scorer.timing, images=scorer.images)

    def explore(self, ctx: SearchContext, table: CostTable,
                state_path: str,
                on_generation: Optional[Callable[[Search], None]] = None,
                latency: Optional[LatencyTable] = None,
                progress: bool = True) -> Explored:
        """The search loop alone (resumed from ``state_path`` if saved)."""
        supernet = ctx.supernet
        search = ArchSearch(supernet.space, table, self.search_cfg, latency)
        valid_for = self.valid_for(
            ctx, supernet,
            **(self.proxy.state() if self.fitness == 'proxy' else {}),
            head_start=self.head_start)
        if load_state(search, state_path, valid_for):
            print_log(f'resuming architecture search from {state_path} '
                      f'(generation {search.generation})', logger='current')
        snapshot = WeightSnapshot(ctx.model) if self.finetunes else None
        if snapshot is not None and self.head_start != 'adapted':
            snapshot = self.start_heads(ctx, snapshot,
                                        osp.dirname(state_path), valid_for)
        prepare, before_eval = self.candidate_fitness(ctx, snapshot)
        scorer = self.scorer(ctx, prepare, loss=self.fitness == 'proxy'
                             and self.loss_fitness)
        ladder = self.ladder(ctx) if self.fitness == 'proxy' else None
        shared = self.shared_proxy(ctx, snapshot, lambda c: scorer.noise(
            c, self.noise_batches(ctx))) if self.sharing else None
        try:
            run_search(search, self.prescored(scorer, supernet.space,
                                              ladder, shared),
                       state_path, valid_for, on_generation,
                       ladder.first if ladder else before_eval, progress,
                       race_k=self.scoring.race['race_top'],
                       after_scoring=(lambda cands: ladder.climb(
                           scorer, cands)) if ladder else None,
                       runs=shared)
        except BelowFloor:
            if snapshot is not None:  # not the last candidate's finetune
                snapshot.restore()
            raise
        return Explored(search, scorer, snapshot, before_eval)

    def start_heads(self, ctx: SearchContext, snapshot: WeightSnapshot,
                    out: str, valid_for: dict) -> WeightSnapshot:
        """The weights every candidate starts from: ``snapshot`` (the
        adapted heads) or the adapted backbone with fresh heads, as
        ``head_start`` says ('auto': the reference arch proxy-finetuned
        from both, the better on the search split)."""
        model, supernet, seed = ctx.model, ctx.supernet, self.scoring.seed
        self.heads = dict(picked='fresh', search_split=None)
        if self.head_start == 'auto':
            reference = reference_arch(supernet.space)
            adapted = self.proxy_prepare(snapshot, supernet)
            scorer = self.scorer(ctx, adapted, racing=False,
                                 loss=self.loss_fitness)
            proxy = self.proxy_finetune(ctx)

            def score(start: str) -> Candidate:
                def restart(cand: Candidate) -> None:
                    adapted(cand)
                    if start == 'fresh':
                        fresh_heads(model, seed)
                scorer.prepare = restart
                return scorer.score(Candidate(reference, 0, 0, -1), proxy)

            self.heads = choose_head_start(score, out, valid_for)
            print_log(f'{self.owner}: proxy finetunes start from '
                      f'{describe(self.heads)}', logger='current')
        snapshot.restore()
        if self.heads['picked'] == 'adapted':
            return snapshot
        fresh_heads(model, seed)
        return WeightSnapshot(model)

    def prescored(self, scorer: SubnetScorer, space: SearchSpace,
                  ladder: Optional[Ladder], shared: Optional[SharedProxy]
                  ) -> Union[SubnetScorer, Prescored]:
        """``scorer``, or with ``head_start='auto'`` one that takes the
        reference arch's score from the head choice: only where the loop
        would score it the same way (one full proxy, no racing, no shared
        runs)."""
        known = chosen_reference(self.heads, space) \
            if self.head_start == 'auto' else None
        if known is None or ladder is not None or shared is not None or \
                self.scoring.race['racing']:
            return scorer
        return Prescored(scorer, known)

    @property
    def finetunes(self) -> bool:
        """Whether any candidate is proxy-finetuned (by the fitness or the
        rerank): only then are the adapted weights kept to restore."""
        return self.proxy is not None and (self.fitness == 'proxy' or
                                           self.rerank_top > 1)

    @property
    def sharing(self) -> bool:
        """Whether a generation's candidates share proxy runs."""
        return self.fitness == 'proxy' and self.proxy.share > 0

    def shared_proxy(self, ctx: SearchContext, snapshot: WeightSnapshot,
                     noise: Optional[Callable[[Candidate], float]] = None
                     ) -> SharedProxy:
        """The runs a generation's candidates share (``proxy.share``)."""
        supernet = ctx.supernet
        return SharedProxy(
            self.proxy_finetune(ctx), self.proxy.iters, self.proxy.share,
            lambda num: self.batches(ctx, num, PROXY), snapshot.restore,
            lambda cand: supernet.set_arch(cand.arch), noise)

    def candidate_fitness(self, ctx: SearchContext,
                          snapshot: Optional[WeightSnapshot]
                          ) -> Tuple[Callable, Optional[Callable]]:
        """(prepare, before_eval) of the search's fitness: set the path;
        with the proxy fitness, restore the weights first and finetune."""
        supernet = ctx.supernet
        if self.fitness == 'inherited' or self.sharing:
            # shared: the weights are its run's, trained beforehand
            return lambda cand: supernet.set_arch(cand.arch), None
        return self.proxy_prepare(snapshot, supernet), \
            self.proxy_finetune(ctx)

    @staticmethod
    def proxy_prepare(snapshot: WeightSnapshot, supernet) -> Callable:
        def prepare(cand: Candidate) -> None:
            snapshot.restore()
            supernet.set_arch(cand.arch)
        return prepare

    def rerank(self, ctx: SearchContext, supernet, search, scorer,
               snapshot: WeightSnapshot) -> Tuple[Candidate, List]:
        """The final choice among the top candidates by their score after
        a proxy finetune; weights restored after each and at the end."""
        proxy_scorer = self.scorer(ctx, self.proxy_prepare(snapshot,
                                                           supernet),
                                   scorer.calib_loader, racing=False,
                                   loss=self.loss_fitness)
        ranked = rerank(search.top(self.rerank_top), proxy_scorer,
                        self.proxy_finetune(ctx))
        snapshot.restore()
        chosen = search.history[ranked[0].key] if ranked[0].score > WORST \
            else search.best
        print_log('rerank by proxy finetune: ' + ', '.join(
            f'{c.metrics["search_score"]:.4f}->{c.score:.4f}'
            for c in ranked), logger='current')
        return chosen, ranked

    def latency_table(self, out: str, supernet) -> LatencyTable:
        """Measured once on rank 0 (or read back on resume), broadcast: every
        rank checks the same numbers."""
        path = osp.join(out, 'latency_table.json')
        doc = [None]
        if is_main_process():
            if osp.isfile(path):
                doc[0] = LatencyTable.load(path, supernet.space).to_dict()
            else:
                table = LatencyTable.measure(
                    supernet.space, self.scoring.input_shape,
                    backbone=supernet)
                table.save(path)
                doc[0] = table.to_dict()
        broadcast_object_list(doc, src=0)
        return LatencyTable.from_dict(doc[0], supernet.space, path)

    @staticmethod
    def log_predictor(s: Search) -> None:
        screened = predictor_by_generation(
            [c for c in s.history.values()
             if c.generation == s.generation - 1])
        if screened:
            print_log(f'predictor: evaluated {screened[0]["evaluated"]} of '
                      f'the generation\'s children (skipped {s.skipped} so '
                      f'far), Kendall tau predicted vs measured '
                      f'{screened[0]["kendall_tau"]:.2f}', logger='current')

    @staticmethod
    def scalars(s: Search) -> Dict[str, float]:
        """What a visualizer shows per generation."""
        last = [c for c in s.history.values()
                if c.generation == s.generation - 1]
        out = generation_scalars(s, 'search')
        screened = predictor_by_generation(last)
        if screened:
            out['search/predictor_tau'] = screened[0]['kendall_tau']
        return out

    def write_outputs(self, out: str, search: Search, table: CostTable,
                      chosen: Optional[Candidate] = None, ranked=(),
                      noise: Optional[float] = None,
                      final: bool = True) -> None:
        """The log and Pareto front every generation (cheap); figures at
        the end (``final``); ``arch.json`` and ``summary.json`` once, at
        the end (``chosen`` given), so another rank or hook never reads an
        intermediate arch."""
        if not is_main_process():
            return
        cands = list(search.history.values())
        write_log(osp.join(out, 'search_log.jsonl'), cands)
        write_pareto(osp.join(out, 'pareto.json'), cands)
        if not final:
            return
        key = self.scoring.metric_key
        plot_search_curve(osp.join(out, 'search_curve.png'), cands, key)
        plot_pareto(osp.join(out, 'pareto.png'), cands, key)
        if chosen is None:
            return
        save_arch(chosen.arch, osp.join(out, 'arch.json'))
        table.save(osp.join(out, 'cost_table.json'))
        self.summary(search, chosen, ranked, noise).to_json(
            osp.join(out, 'summary.json'))

    def fitness_note(self) -> str:
        if self.fitness != 'proxy':
            return ''
        if self.proxy.share:
            return (' (after a shared proxy finetune: '
                    f'{self.proxy.iters} steps per candidate, about '
                    f'{self.proxy.share} candidates per run)')
        if self.proxy.rungs:
            return (' (after a proxy ladder of '
                    f'{"/".join(map(str, self.proxy.ladder))} steps, the '
                    f'best {self.proxy.keep:.2f} of each rung promoted)')
        return ' (after a proxy finetune)'

    def summary(self, search: Search, best: Candidate, ranked,
                noise: Optional[float]) -> ArchSummary:
        cands = list(search.history.values())
        median = statistics.median(c.score for c in cands if c.score > WORST)
        gap = search.best.score - median
        return ArchSummary(
            metric_key=self.scoring.metric_key, rule=self.scoring.rule,
            best_score=best.score,
            best_value=best.metrics.get(self.scoring.metric_key),
            best_metrics=best.metrics,
            flops=best.flops, params=best.params, latency_ms=best.latency,
            generations_done=search.generation,
            evaluated=len(search.history), rejected=search.rejected,
            skipped_by_predictor=search.skipped,
            predictor=predictor_by_generation(cands),
            raced=sum(c.status == 'raced' for c in cands),
            images_evaluated=sum(c.images for c in cands),
            input_shape=list(self.scoring.input_shape),
            median_score=median, score_noise=noise,
            best_minus_median=gap,
            best_minus_median_over_noise=gap / noise if noise else None,
            selected_by='proxy finetune rerank' if ranked else
            'search score' + self.fitness_note(),
            rerank=[dict(flops=c.flops, search_score=c.metrics.get(
                'search_score'), proxy_score=c.score,
                layers=c.arch['layers']) for c in ranked],
            head_start=None if self.heads is None else {
                k: self.heads[k] for k in ('picked', 'search_split')})

