"""ArchSearchHook: the NAS module (architecture transfer) run from the
runner's ``after_train``; the work is :class:`ArchSearchJob`."""
from typing import Any, Optional, Sequence

from ..registry import HOOKS
from ..search.arch.job import ArchSearchJob
from ..search.job import SearchContext
from ..search.scoring.batch_cache import DEFAULT_CACHE_MB
from ..search.settings import DEFAULT_PROXY, Scoring
from .search_hook import SearchHook


@HOOKS.register_module()
class ArchSearchHook(SearchHook):
    """Search the target's architecture after the (optional) supernet
    adaptation (``max_epochs=0`` / ``max_iters=0``: search at once), write
    ``arch.json``, ``summary.json``, logs and figures to ``out_dir``.

    Args (besides those of :class:`SearchHook`):
        mode: ``'evolution'`` or ``'random'`` (baseline).
        search: evolution knobs: ``population``, ``generations``,
            ``top_k``, ``mutation_prob``, ``num_mutation``,
            ``num_crossover``, ``edge_keep_prob``, ``include_reference``
            (the hand chain in the first generation; default True).
        constraints: ``dict(flops=(lo, hi), params=(lo, hi),
            latency=(lo_ms, hi_ms))``, any subset; checked on cost tables
            before any evaluation (latency: measured once per (layer, op)
            on this machine's CPU, batch 1, kept in ``latency_table.json``).
        predictor: ``dict(keep=0.5)``: after the first generation, evaluate
            only the predicted best ``keep`` of each generation's children
            (ridge surrogate); None: off.
        proxy: ``dict(iters=N, lr=0.02, schedule='cosine', rungs=(),
            keep=1/3, share=0)``: a short SGD finetune of a candidate on
            fixed training batches (for ``fitness='proxy'`` and
            ``rerank_top``); default
            ``DEFAULT_PROXY`` (180 steps, lr 0.02 warmed up and cosine-
            annealed: ``schedule='cosine'``); ``rungs`` make it a budget
            ladder; ``share=8``: about 8 candidates of a generation get
            their ``iters`` steps in one run on shared weights (at
            ``iters=90`` half the arch search's cost; not the default: the
            archs it found finetuned worse, docs/results/search_fitness.md).
        fitness: ``'proxy'`` (default: the search-split metric after the
            proxy finetune, which predicts the finetuned result better)
            or ``'inherited'`` (inherited weights, BN recalibrated only).
        rerank_top: choose among the top ``rerank_top`` by their score
            after the proxy finetune (0: off).
        head_start: the heads each proxy finetune starts from:
            ``'adapted'``, ``'fresh'`` (re-initialised on the adapted
            backbone) or ``'auto'`` (the reference arch proxy-finetuned
            from both, the better on the search split; for an adaptation
            that can leave the heads on a plateau). Default None:
            ``'auto'`` with ``fitness='proxy'``, else ``'adapted'``. The
            weight search after this hook starts from the same heads.
    """

    def __init__(self, metric_key: str, rule: str = 'greater',
                 mode: str = 'evolution', search: Optional[dict] = None,
                 constraints: Optional[dict] = None,
                 predictor: Optional[dict] = None,
                 proxy: Optional[dict] = DEFAULT_PROXY,
                 fitness: str = 'proxy',
                 rerank_top: int = 0,
                 input_shape: Sequence[int] = Scoring.input_shape,
                 calibrate_batches: int = Scoring.calibrate_batches,
                 noise_repeats: int = Scoring.noise_repeats,
                 racing: Optional[Any] = None, seed: int = 0,
                 cache_mb: float = DEFAULT_CACHE_MB,
                 floor: Optional[float] = None,
                 head_start: Optional[str] = None,
                 out_dir: str = 'search', **moved):
        owner, scoring = self.scoring(moved, metric_key, rule, input_shape,
                                      calibrate_batches, noise_repeats,
                                      racing, seed, cache_mb, floor)
        self.job = ArchSearchJob.build(owner, scoring, mode, search,
                                       constraints, predictor, proxy,
                                       fitness, rerank_top, out_dir,
                                       head_start)
        self.result: Optional[dict] = None

    def after_train(self, runner) -> None:
        def to_visualizer(search) -> None:
            runner.visualizer.add_scalars(self.job.scalars(search),
                                          step=search.generation)

        self.result = self.timed_search(
            runner, 'arch', lambda: self.job.run(
                SearchContext.from_runner(runner), to_visualizer), True)
