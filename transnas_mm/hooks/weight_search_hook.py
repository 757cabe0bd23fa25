"""WeightSearchHook: the NWS module (weight transfer) as a thin adapter
between runner events and :mod:`transnas_mm.search`."""
import copy
import os.path as osp
from typing import Optional, Sequence

from mmengine.dist import broadcast_object_list, is_main_process
from mmengine.logging import print_log

from ..apis import splice_backbone, write_finetune_config
from ..registry import HOOKS
from ..search import (WORST, Candidate, ProxyFinetune, WeightAssigner,
                      WeightSearch, WeightSearchConfig, evaluate, load_state,
                      plot_weight_sources, recalibrate_bn, run_search,
                      seeded, unwrap, weight_source_rows, write_log)
from ..search.batch_cache import DEFAULT_CACHE_MB
from ..space import CostTable, load_arch
from ..utils.atomic_io import atomic_torch_save, atomic_write_json
from .search_hook import SearchHook

STATE_FILE = 'nws_state.json'


@HOOKS.register_module()
class WeightSearchHook(SearchHook):
    """After the architecture is chosen (``ArchSearchHook`` earlier in
    ``custom_hooks``, or ``arch='path/arch.json'``), search where each
    layer's starting weights come from, then write ``subnet.pth``
    (TransNASNet backbone weights), ``subnet_model.pth`` (the whole
    model with that backbone, what ``finetune.py`` loads),
    ``weight_sources.json``, ``finetune.py`` and ``weight_sources.png``.

    Args (besides those of :class:`SearchHook`: metric_key, rule,
    input_shape, calibrate_batches, noise_repeats, racing, race_fractions,
    race_margin, race_top, seed, cache_mb, out_dir):
        arch: arch file; default ``<out_dir>/arch.json``.
        mode: ``'greedy'`` (coordinate ascent) or ``'evolution'``.
        passes, population, generations, top_k, mutation_prob: search.
        proxy_iters: short finetune of each candidate on the target
            training set before BN recalibration (0: none).
        proxy_lr: learning rate of that finetune (SGD, momentum 0.9).
        heldout: also score plain inheritance and the chosen assignment on
            the runner's test dataloader (reported, never used to choose).
        finetune: overrides merged into the generated ``finetune.py``.
        noise_margin: plain inheritance is scored with ``noise_repeats``
            other calibration draws; a changed assignment is kept only if
            it beats plain by more than ``noise_margin`` x that std on the
            search split; otherwise plain is kept (never lose to it by
            chance).
    """

    def __init__(self,
                 metric_key: str,
                 rule: str = 'greater',
                 arch: Optional[str] = None,
                 mode: str = 'greedy',
                 passes: int = 1,
                 population: int = 10,
                 generations: int = 5,
                 top_k: int = 5,
                 mutation_prob: float = 0.2,
                 proxy_iters: int = 0,
                 proxy_lr: float = 0.01,
                 calibrate_batches: int = 8,
                 heldout: bool = True,
                 input_shape: Sequence[int] = (3, 224, 224),
                 finetune: Optional[dict] = None,
                 noise_repeats: int = 2,
                 noise_margin: float = 2.0,
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
        if noise_margin < 0 or proxy_iters < 0:
            raise ValueError('WeightSearchHook: noise_margin, proxy_iters: '
                             f'expected >= 0, got {noise_margin}, '
                             f'{proxy_iters}')
        try:
            self.search_cfg = WeightSearchConfig(
                mode=mode, passes=passes, population=population,
                generations=generations, top_k=top_k,
                mutation_prob=mutation_prob, seed=seed)
        except ValueError as e:
            raise ValueError(f'WeightSearchHook: {e}') from None
        self.noise_margin = noise_margin
        self.arch_path = arch
        self.proxy_iters = proxy_iters
        self.proxy_lr = proxy_lr
        self.heldout = heldout
        self.finetune = finetune or {}
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
        status, message = self._read_arch(self.arch_path,
                                          self._supernet(runner).space)
        if status == 'error':
            raise ValueError(f'WeightSearchHook: arch: {message}')

    def _read_arch(self, path: str, space) -> tuple:
        """('ok', arch), ('missing', None) or ('error', message): what
        rank 0 broadcasts, so every rank acts on the same outcome."""
        if not osp.isfile(path):
            if self.arch_path:  # asked for by the user: an error
                return ('error', f'WeightSearchHook: arch: file not found: '
                        f'{path}')
            return ('missing', None)
        try:
            return ('ok', load_arch(path, space))
        except Exception as e:  # noqa: BLE001  re-raised on every rank
            return ('error', str(e))

    def after_train(self, runner) -> None:
        out = self._start(runner)
        supernet = self._supernet(runner)
        arch_file = self.arch_path or osp.join(out, 'arch.json')
        # Rank 0 reads the arch and broadcasts it: every rank searches the
        # weights of the same bytes, never a file some rank is writing.
        shared = [self._read_arch(arch_file, supernet.space)
                  if is_main_process() else None]
        broadcast_object_list(shared, src=0)
        status, arch = shared[0]
        if status == 'error':
            raise ValueError(arch)
        if status == 'missing':
            print_log(f'WeightSearchHook: no {arch_file} (no '
                      f'ArchSearchHook before it?); skipping',
                      logger='current', level=30)
            return
        supernet.set_arch(arch)
        flops, params = CostTable.measure(
            supernet.space, self.input_shape, backbone=supernet).cost(arch)
        search = WeightSearch(supernet.space, arch, self.search_cfg, flops,
                              params)
        model = unwrap(runner.model)
        assigner = WeightAssigner(supernet, arch, self.seed)
        snapshot = copy.deepcopy(model.state_dict())
        state_path = osp.join(out, STATE_FILE)
        valid_for = self._valid_for(
            runner, supernet, proxy_iters=self.proxy_iters,
            proxy_lr=self.proxy_lr, noise_margin=self.noise_margin)
        resumed = load_state(search, state_path, valid_for)
        if resumed:
            print_log(f'resuming weight search from {state_path} '
                      f'(step {search.generation})', logger='current')

        def prepare(cand: Candidate) -> None:
            model.load_state_dict(snapshot)
            assigner.apply(cand.sources)

        scorer = self._scorer(runner, prepare)
        proxy = ProxyFinetune(
            runner.model, self._batches(runner, self.proxy_iters, 1),
            self.proxy_iters, self.proxy_lr, self.seed) \
            if self.proxy_iters > 0 else None
        if not resumed or search.generation == 0:
            search.noise = scorer.noise(
                scorer.score(search.candidate(search.plain), proxy),
                self._noise_batches(runner), proxy)
            search.margin = self.noise_margin * search.noise \
                if search.noise == search.noise else 0.0
        run_search(search, scorer, state_path, valid_for,
                   on_generation=lambda s: self._write_log(out, s),
                   before_eval=proxy,
                   race_k=self.race['race_top'] or 1)
        self._write_log(out, search)
        best, plain = search.best, search.plain_candidate
        if best is None:
            model.load_state_dict(snapshot)
            raise self._all_failed(search, osp.join(out, 'nws_log.jsonl'),
                                   state_path, 'no subnet written')
        heldout = self._heldout(runner, scorer, best, plain, proxy)
        # Final weights = the best candidate's assignment, BN recalibrated;
        # never its proxy finetune: every report row then starts the same
        # finetune budget from the weights it was given.
        self._materialize(scorer, best, None)
        if is_main_process():
            self._export(runner, out, supernet, arch, arch_file, search,
                         best, plain, heldout)
        model.load_state_dict(snapshot)
        self.result = dict(best=best.to_dict(),
                           plain=plain.to_dict() if plain else None,
                           heldout=heldout)

    def _materialize(self, scorer, cand: Candidate, proxy) -> None:
        """Put ``cand``'s weights in the model (after ``proxy``, exactly as
        when scored) and recalibrate BN."""
        scorer.prepare(cand)
        if proxy is not None:
            proxy(cand)
        with seeded(self.seed):
            recalibrate_bn(scorer.model, scorer.calib_loader,
                           self.calibrate_batches)

    def _heldout(self, runner, scorer, best, plain, proxy
                 ) -> Optional[dict]:
        """Held-out metric of plain inheritance and NWS on the runner's
        test dataloader: reported, never used to choose."""
        if not self.heldout or getattr(runner, '_test_loop', None) is None:
            return None
        result = {}
        for name, cand in (('plain', plain), ('nws', best)):
            if cand is not None:
                self._materialize(scorer, cand, proxy)
                result[name] = evaluate(
                    runner.model, runner.test_loop.dataloader,
                    runner.test_loop.evaluator).get(self.metric_key)
        return result

    def _write_log(self, out: str, search: WeightSearch) -> None:
        if is_main_process():
            write_log(osp.join(out, 'nws_log.jsonl'),
                      list(search.history.values()))

    def _export(self, runner, out, supernet, arch, arch_file, search, best,
                plain, heldout) -> None:
        """``subnet.pth``, ``subnet_model.pth``, ``weight_sources.json``,
        ``finetune.py`` and the figure (rank 0)."""
        model = unwrap(runner.model)
        backbone = supernet.export_subnet(arch)
        atomic_torch_save(dict(state_dict=backbone,
                               meta=dict(arch=arch, sources=best.sources)),
                          osp.join(out, 'subnet.pth'))
        prefix = next(n for n, m in model.named_modules() if m is supernet)
        atomic_torch_save(dict(
            state_dict=splice_backbone(model.state_dict(), prefix + '.',
                                       backbone),
            meta=dict(arch=arch, sources=best.sources, score=best.score)),
            osp.join(out, 'subnet_model.pth'))
        rows = weight_source_rows(arch, best, plain, search.layer_gains())
        cands = list(search.history.values())
        atomic_write_json(osp.join(out, 'weight_sources.json'), dict(
            metric_key=self.metric_key,
            search_split=dict(
                plain=plain.score if plain and plain.score > WORST else None,
                nws=best.score, best_found=search.top(1)[0].score),
            noise=search.noise, margin=search.margin,
            kept_plain=best is plain, heldout=heldout,
            evaluated=len(cands),
            raced=sum(c.status == 'raced' for c in cands),
            images_evaluated=sum(c.images for c in cands),
            layers=rows))
        write_finetune_config(runner.cfg, osp.join(out, 'finetune.py'),
                              osp.abspath(arch_file),
                              osp.abspath(osp.join(out, 'subnet_model.pth')),
                              supernet.out_indices, self.finetune)
        plot_weight_sources(osp.join(out, 'weight_sources.png'), rows)
