"""WeightSearchHook: the NWS module (weight transfer) run from the runner's
``after_train``, after ``ArchSearchHook``; the work is
:class:`WeightSearchJob`."""
import os.path as osp
from typing import Any, Optional, Sequence

from mmengine.logging import print_log

from ..engine import find_supernet
from ..registry import HOOKS
from ..search.core.base import generation_scalars
from ..search.job import SearchContext
from ..search.outputs.names import ARCH_FILE
from ..search.scoring.batch_cache import DEFAULT_CACHE_MB
from ..search.settings import DEFAULT_PROXY, Scoring
from ..search.weights.job import WeightSearchJob, read_arch
from .search_hook import SearchHook


@HOOKS.register_module()
class WeightSearchHook(SearchHook):
    """After the architecture is chosen (``ArchSearchHook`` earlier in
    ``custom_hooks``, or ``arch='path/arch.json'``), search where each
    layer's starting weights come from, then write ``subnet.pth``
    (TransNASNet backbone weights), ``subnet_model.pth`` (the whole model
    with that backbone, what ``finetune.py`` loads),
    ``weight_sources.json``, ``finetune.py`` and ``weight_sources.png``.

    Args (besides those of :class:`SearchHook`):
        arch: arch file; default ``<out_dir>/arch.json``.
        mode: ``'greedy'`` (coordinate ascent) or ``'evolution'``.
        search: ``passes`` (greedy), ``population``, ``generations``,
            ``top_k``, ``mutation_prob`` (evolution); ``source=True``:
            the source checkpoint's weights (``init_cfg``, before the
            adaptation) are a candidate of every layer, and the whole
            source network one of the first generation.
        proxy: ``dict(iters=N, lr=0.02, schedule='cosine')``: score each
            candidate after a short SGD finetune (the exported weights are
            the assignment, never that finetune); default
            ``DEFAULT_PROXY`` (180 steps, lr 0.02 warmed up and
            cosine-annealed, as the arch search);
            None: off.
        heldout: also score plain inheritance and the chosen assignment on
            the runner's test dataloader (reported, never used to choose).
        finetune: overrides merged into the generated ``finetune.py``.
        noise_margin: keep a changed assignment only if it beats plain
            inheritance by more than this many score-noise std.
    """

    def __init__(self, metric_key: str, rule: str = 'greater',
                 arch: Optional[str] = None, mode: str = 'greedy',
                 search: Optional[dict] = None,
                 proxy: Optional[dict] = DEFAULT_PROXY,
                 heldout: bool = True,
                 finetune: Optional[dict] = None, noise_margin: float = 2.0,
                 input_shape: Sequence[int] = Scoring.input_shape,
                 calibrate_batches: int = Scoring.calibrate_batches,
                 noise_repeats: int = Scoring.noise_repeats,
                 racing: Optional[Any] = None, seed: int = 0,
                 cache_mb: float = DEFAULT_CACHE_MB,
                 floor: Optional[float] = None,
                 out_dir: str = 'search', **moved):
        owner, scoring = self.scoring(moved, metric_key, rule, input_shape,
                                      calibrate_batches, noise_repeats,
                                      racing, seed, cache_mb, floor)
        self.job = WeightSearchJob.build(owner, scoring, mode, search, proxy,
                                         noise_margin, heldout, finetune,
                                         out_dir)
        self.arch_path = arch
        self.result: Optional[dict] = None

    def before_train(self, runner) -> None:
        """A user-given arch must exist, and be of the super-network's
        space, before hours of adaptation."""
        super().before_train(runner)
        if not self.arch_path:
            return
        if not osp.isfile(self.arch_path):
            raise FileNotFoundError(
                f'WeightSearchHook: arch: {self.arch_path}: file not found; '
                f'expected an arch.json (from ArchSearchHook or '
                f'tools/baseline_subnet.py)')
        space = find_supernet(runner.model).space
        status, message = read_arch(self.arch_path, space, True)
        if status == 'error':
            raise ValueError(f'WeightSearchHook: {message}')

    def after_train(self, runner) -> None:
        ctx = SearchContext.from_runner(runner)
        arch_file = self.arch_path or osp.join(runner.work_dir,
                                               self.job.out_dir, ARCH_FILE)
        arch = self.job.arch_on_every_rank(arch_file, ctx.supernet.space,
                                           bool(self.arch_path))
        if arch is None:
            print_log(f'WeightSearchHook: no {arch_file} (no ArchSearchHook '
                      f'before it?); skipping', logger='current', level=30)
            return
        # with a given arch no ArchSearchHook ran before: adaptation ends here
        def to_visualizer(search) -> None:
            runner.visualizer.add_scalars(generation_scalars(search, 'nws'),
                                          step=search.generation)

        self.result = self.timed_search(
            runner, 'weights', lambda: self.job.run(
                ctx, arch, arch_file, to_visualizer), bool(self.arch_path))
