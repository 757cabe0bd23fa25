"""The NWS module as one library call: for a chosen arch, search where each
layer's starting weights come from, keep plain inheritance unless a change
beats it beyond the score noise, and export the network. ``WeightSearchHook``
runs it after the arch search; benchmarks run it on a model they built."""
import os.path as osp
from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional

from mmengine.dist import broadcast_object_list, is_main_process
from mmengine.logging import print_log

from ...models.export import splice_backbone
from ...space import Arch, CostTable, load_arch
from ...utils.atomic_io import atomic_torch_save
from ...utils.finetune_config import write_finetune_config
from ..core.base import Search
from ..core.candidate import WORST, Candidate
from ..core.loop import load_state, run_search
from ..job import BelowFloor, SearchContext, SearchJob, WeightSnapshot
from ..outputs.artifacts import weight_source_rows, write_log
from ..outputs.names import (FINETUNE_CONFIG, SUBNET, SUBNET_MODEL,
                             WEIGHT_FIGURE, WEIGHT_LOG, WEIGHT_SOURCES,
                             WEIGHT_STATE)
from ..outputs.plots import plot_weight_sources
from ..outputs.summaries import SearchSplitScores, WeightSources
from ..scoring.calibrate import recalibrate_bn, seeded, unwrap
from ..scoring.evaluate import evaluate
from ..scoring.fitness import SubnetScorer
from ..scoring.proxy import ProxyFinetune
from ..settings import DEFAULT_PROXY, Proxy, Scoring, group
from .search import WeightSearch, WeightSearchConfig
from .sources import WeightAssigner



def read_arch(path: str, space, required: bool) -> tuple:
    """('ok', arch), ('missing', None) or ('error', message): what rank 0
    broadcasts, so every rank acts on the same outcome."""
    if not osp.isfile(path):
        if required:
            return ('error', f'arch: file not found: {path}')
        return ('missing', None)
    try:
        return ('ok', load_arch(path, space))
    except Exception as e:  # noqa: BLE001  re-raised on every rank
        return ('error', f'arch: {e}')


def whole_model(model, supernet, backbone: dict) -> dict:
    """The model's state dict with ``supernet`` replaced by the static
    backbone weights ``backbone`` (what ``finetune.py`` loads)."""
    model = unwrap(model)
    prefix = next(n for n, m in model.named_modules() if m is supernet)
    return splice_backbone(model.state_dict(), prefix + '.', backbone)


@dataclass
class WeightSearchParts:
    """A weight search ready to run and how it scores a candidate."""
    search: WeightSearch
    scorer: SubnetScorer
    proxy: Optional[ProxyFinetune]
    snapshot: WeightSnapshot


class WeightSearchJob(SearchJob):
    """Greedy coordinate ascent (or evolution) over each layer's weight
    source, each candidate scored like the arch search (after ``proxy``
    SGD steps if given). ``noise_margin``: a changed assignment is kept
    only if it beats plain inheritance by more than that many score-noise
    std on the search split. ``heldout``: also score plain and the choice
    on the test split (reported, never used to choose). ``finetune``:
    overrides merged into the written ``finetune.py``."""

    def __init__(self, scoring: Scoring, search: WeightSearchConfig,
                 proxy: Optional[Proxy] = None, noise_margin: float = 2.0,
                 heldout: bool = True, finetune: Optional[dict] = None,
                 out_dir: str = 'search', owner: Optional[str] = None):
        super().__init__(scoring, proxy, out_dir, owner)
        if noise_margin < 0:
            raise ValueError(f'{self.owner}: noise_margin: expected >= 0, '
                             f'got {noise_margin}')
        self.search_cfg = search
        self.noise_margin = noise_margin
        self.heldout = heldout
        self.finetune = finetune or {}

    @classmethod
    def build(cls, owner: str, scoring: Scoring, mode: str = 'greedy',
              search: Optional[dict] = None,
              proxy: Optional[dict] = DEFAULT_PROXY,
              noise_margin: float = 2.0, heldout: bool = True,
              finetune: Optional[dict] = None, out_dir: str = 'search'
              ) -> 'WeightSearchJob':
        """From the hook's grouped arguments, checked with ``owner``'s
        name in every message."""
        knobs = group(owner, 'search', search or {}, (
            'passes', 'population', 'generations', 'top_k',
            'mutation_prob', 'source'))
        try:
            cfg = WeightSearchConfig(mode=mode, **knobs, seed=scoring.seed)
        except ValueError as e:
            raise ValueError(f'{owner}: {e}') from None
        parsed = Proxy.parse(owner, proxy)
        if parsed is not None and parsed.share:
            raise ValueError(f'{owner}: proxy.share: the weight search '
                             f'compares weight sources of one arch, which '
                             f'one shared run would mix; expected '
                             f'share=False')
        return cls(scoring, cfg, parsed, noise_margin, heldout, finetune,
                   out_dir, owner)

    def arch_on_every_rank(self, path: str, space,
                           required: bool) -> Optional[Arch]:
        """Rank 0 reads the arch and broadcasts it: every rank searches the
        weights of the same bytes, never a file some rank is writing.
        None when it is missing and not ``required``."""
        shared = [read_arch(path, space, required)
                  if is_main_process() else None]
        broadcast_object_list(shared, src=0)
        status, arch = shared[0]
        if status == 'error':
            raise ValueError(f'{self.owner}: {arch}')
        return arch

    def run(self, ctx: SearchContext, arch: Arch, arch_file: str,
            on_generation: Optional[Callable[[Search], None]] = None
            ) -> Dict[str, Any]:
        """Search, export ``subnet.pth``, ``subnet_model.pth``,
        ``weight_sources.json``, ``finetune.py`` and the figure (rank 0);
        the model's weights are left as they came. Resumes a saved state.
        ``on_generation(search)``: after each generation (a visualizer)."""
        out = self.start(ctx)
        supernet = ctx.supernet
        parts = self.setup(ctx, arch)
        search, scorer, proxy = parts.search, parts.scorer, parts.proxy
        snapshot = parts.snapshot
        state_path = osp.join(out, WEIGHT_STATE)
        off = Proxy(0, 0.01, schedule='constant')  # the state of proxy=None
        valid_for = self.valid_for(
            ctx, supernet, **(self.proxy or off).state(),
            noise_margin=self.noise_margin)
        resumed = load_state(search, state_path, valid_for)
        if resumed:
            print_log(f'resuming weight search from {state_path} '
                      f'(step {search.generation})', logger='current')
        if not resumed or search.generation == 0:
            search.noise = scorer.noise(
                scorer.score(search.candidate(search.plain), proxy),
                self.scorers(ctx).noise_batches(), proxy)
            search.margin = self.noise_margin * search.noise \
                if search.noise == search.noise else 0.0
        log = osp.join(out, WEIGHT_LOG)

        def after_generation(s: WeightSearch) -> None:
            self.write_log(log, s)
            self.check_floor(s, log, state_path)
            if on_generation is not None:
                on_generation(s)

        try:
            run_search(search, scorer, state_path, valid_for,
                       on_generation=after_generation, before_eval=proxy,
                       race_k=self.scoring.race.top or 1)
        except BelowFloor:
            snapshot.restore()  # the weights as they came
            raise
        self.write_log(log, search)
        best, plain = search.best, search.plain_candidate
        if best is None:
            snapshot.restore()
            raise self.all_failed(search, log, state_path,
                                  'no subnet written')
        heldout = self.score_heldout(ctx, scorer, best, plain, proxy)
        # Final weights = the best candidate's assignment, BN recalibrated;
        # never its proxy finetune: every report row then starts the same
        # finetune budget from the weights it was given.
        self.materialize(scorer, best, None)
        if is_main_process():
            self.export(ctx, out, supernet, arch, arch_file, search, best,
                        plain, heldout)
        snapshot.restore()
        return dict(best=best.to_dict(),
                    plain=plain.to_dict() if plain else None,
                    heldout=heldout)

    def setup(self, ctx: SearchContext, arch: Arch) -> 'WeightSearchParts':
        """The search over ``arch``'s weight sources and how a candidate is
        scored: weights restored, sources applied, (proxy), BN, metric."""
        supernet = ctx.supernet
        supernet.set_arch(arch)
        flops, params = CostTable.of(
            supernet, self.scoring.input_shape).cost(arch)
        search = WeightSearch(supernet.space, arch, self.search_cfg, flops,
                              params)
        assigner = WeightAssigner(supernet, arch, self.scoring.seed,
                                  self.search_cfg.source)
        snapshot = WeightSnapshot(ctx.model)

        def prepare(cand: Candidate) -> None:
            snapshot.restore()
            assigner.apply(cand.sources)

        build = self.scorers(ctx)
        return WeightSearchParts(
            search, build.scorer(prepare),
            build.proxy_finetune(), snapshot)

    def materialize(self, scorer: SubnetScorer, cand: Candidate,
                    proxy) -> None:
        """Put ``cand``'s weights in the model (after ``proxy``, exactly as
        when scored) and recalibrate BN."""
        scorer.prepare(cand)
        if proxy is not None:
            proxy(cand)
        with seeded(self.scoring.seed):
            recalibrate_bn(scorer.model, scorer.calib_loader,
                           self.scoring.calibrate_batches)

    def score_heldout(self, ctx: SearchContext, scorer, best, plain,
                      proxy) -> Optional[dict]:
        """Held-out metric of plain inheritance and NWS on the test split:
        reported, never used to choose."""
        if not self.heldout or ctx.heldout is None:
            return None
        loader, evaluator = ctx.heldout()
        result = {}
        for name, cand in (('plain', plain), ('nws', best)):
            if cand is not None:
                self.materialize(scorer, cand, proxy)
                result[name] = evaluate(ctx.model, loader, evaluator).get(
                    self.scoring.metric_key)
        return result

    @staticmethod
    def write_log(path: str, search: WeightSearch) -> None:
        if is_main_process():
            write_log(path, list(search.history.values()))

    def export(self, ctx: SearchContext, out: str, supernet, arch: Arch,
               arch_file: str, search: WeightSearch, best: Candidate,
               plain: Optional[Candidate], heldout) -> None:
        """``subnet.pth``, ``subnet_model.pth``, ``weight_sources.json``,
        ``finetune.py`` (when the context has a config) and the figure."""
        backbone = supernet.export_subnet(arch)
        atomic_torch_save(dict(state_dict=backbone,
                               meta=dict(arch=arch, sources=best.sources)),
                          osp.join(out, SUBNET))
        atomic_torch_save(dict(
            state_dict=whole_model(ctx.model, supernet, backbone),
            meta=dict(arch=arch, sources=best.sources, score=best.score)),
            osp.join(out, SUBNET_MODEL))
        rows = weight_source_rows(arch, best, plain, search.layer_gains())
        cands = list(search.history.values())
        WeightSources(
            metric_key=self.scoring.metric_key,
            search_split=SearchSplitScores(
                plain=plain.score if plain and plain.score > WORST else None,
                nws=best.score, best_found=search.top(1)[0].score),
            noise=search.noise, margin=search.margin,
            kept_plain=best is plain, heldout=heldout,
            evaluated=len(cands),
            raced=sum(c.status == 'raced' for c in cands),
            images_evaluated=sum(c.images for c in cands),
            layers=rows).to_json(osp.join(out, WEIGHT_SOURCES))
        if ctx.cfg is not None:
            write_finetune_config(
                ctx.cfg, osp.join(out, FINETUNE_CONFIG),
                osp.abspath(arch_file),
                osp.abspath(osp.join(out, SUBNET_MODEL)),
                supernet.out_indices, self.finetune)
        plot_weight_sources(osp.join(out, WEIGHT_FIGURE), rows)
