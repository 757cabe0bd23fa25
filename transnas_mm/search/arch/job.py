"""The NAS module as one library call: search the target's architecture on
an (adapted) super-network, choose, measure the score noise, write
``arch.json`` and the rest. ``ArchSearchHook`` runs it after training;
benchmarks run it on a model they built."""
import os.path as osp
from typing import (Any, Callable, Dict, NamedTuple, Optional, Tuple,
                    Union)

from mmengine.dist import barrier
from mmengine.logging import print_log

from ...space import CostTable, LatencyTable, SearchSpace
from ..core.base import Search
from ..core.candidate import Candidate
from ..core.loop import load_state, run_search
from ..job import BelowFloor, SearchContext, SearchJob, WeightSnapshot
from ..outputs.names import ARCH_STATE
from ..scoring.build import ScorerFactory
from ..scoring.fitness import SubnetScorer
from ..scoring.head_start import Prescored, chosen_reference, start_heads
from ..scoring.ladder import Ladder
from ..scoring.rerank import rerank_choice
from ..scoring.shared_proxy import SharedProxy
from ..settings import DEFAULT_PROXY, Proxy, Scoring, check_arch_scoring
from .outputs import (ARCH_LOG, arch_scalars, arch_summary, fitness_note,
                      latency_table, log_predictor, write_arch_outputs)
from .search import ArchSearch, SearchConfig


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
        head_start = check_arch_scoring(self.owner, scoring, proxy, fitness,
                                        rerank_top, head_start)
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
        cfg = SearchConfig.parse(owner, mode, search, constraints,
                                 predictor, scoring.seed)
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
        latency = latency_table(out, supernet, self.scoring.input_shape) \
            if self.search_cfg.latency_range is not None else None

        state_path = osp.join(out, ARCH_STATE)
        log = osp.join(out, ARCH_LOG)

        def after_generation(s: Search) -> None:
            log_predictor(s)
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
        build = self.scorers(ctx)
        if self.rerank_top > 1 and self.proxy is not None:
            chosen, ranked = rerank_choice(
                search, self.rerank_top, build.scorer(
                    build.restart_path(snapshot), scorer.calib_loader,
                    racing=False),
                build.proxy_finetune(), snapshot)
        noise = search.history[chosen.key].noise if self.sharing else \
            scorer.noise(search.history[chosen.key], build.noise_batches(),
                         before_eval)
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
        adapted = snapshot  # what a stopped search leaves in the model
        if snapshot is not None and self.head_start != 'adapted':
            self.heads, snapshot = start_heads(
                self, ctx, snapshot, osp.dirname(state_path), valid_for)
        build = self.scorers(ctx)
        prepare, before_eval = self.candidate_fitness(build, snapshot)
        scorer = build.scorer(prepare)
        ladder = build.ladder() if self.fitness == 'proxy' else None
        shared = build.shared_proxy(snapshot, lambda c: scorer.noise(
            c, build.noise_batches())) if self.sharing else None
        try:
            run_search(search, self.prescored(scorer, supernet.space,
                                              ladder, shared),
                       state_path, valid_for, on_generation,
                       ladder.first if ladder else before_eval, progress,
                       race_k=self.scoring.race.top,
                       after_scoring=(lambda cands: ladder.climb(
                           scorer, cands)) if ladder else None,
                       runs=shared)
        except BelowFloor:
            if adapted is not None:  # not a finetune, not fresh heads
                adapted.restore()
            raise
        return Explored(search, scorer, snapshot, before_eval)

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
                self.scoring.race.on:
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

    def candidate_fitness(self, build: ScorerFactory,
                          snapshot: Optional[WeightSnapshot]
                          ) -> Tuple[Callable, Optional[Callable]]:
        """(prepare, before_eval) of the search's fitness: set the path;
        with the proxy fitness, restore the weights first and finetune."""
        if self.fitness == 'inherited' or self.sharing:
            # shared: the weights are its run's, trained beforehand
            return build.set_path(), None
        return build.restart_path(snapshot), build.proxy_finetune()

    scalars = staticmethod(arch_scalars)

    def write_outputs(self, out: str, search: Search, table: CostTable,
                      chosen: Optional[Candidate] = None, ranked=(),
                      noise: Optional[float] = None,
                      final: bool = True) -> None:
        """See :func:`.arch_outputs.write_arch_outputs`."""
        write_arch_outputs(
            out, search, table, self.scoring.metric_key, final,
            lambda: arch_summary(
                self.scoring, search, chosen, ranked, noise,
                'search score' + fitness_note(self.fitness, self.proxy),
                self.heads), chosen)
