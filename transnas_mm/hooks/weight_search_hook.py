"""WeightSearchHook: the NWS module (weight transfer) as a thin adapter
between runner events and :mod:`transnas_mm.search`."""
import copy
import os.path as osp
from typing import Dict, Optional, Sequence

import torch
from mmengine.dist import broadcast_object_list, is_main_process
from mmengine.hooks import Hook
from mmengine.logging import print_log

from ..engine import find_supernet
from ..registry import HOOKS
from ..search import (WORST, Candidate, ProxyFinetune, SubnetScorer,
                      calibration_batches, check_finite,
                      evaluate, load_state, recalibrate_bn, run_search,
                      seeded, unwrap, write_log)
from ..search.racing import Racing, race_settings
from ..search.weight_search import WeightSearch, WeightSearchConfig
from ..search.weight_sources import source_state
from ..space import CostTable, SKIP, arch_ops, load_arch
from ..utils.atomic_io import (atomic_torch_save, atomic_write_json,
                               remove_stale_temps)
from .arch_search_hook import supernet_digest
from .finetune_config import write_finetune_config
from .plots import plot_weight_sources

STATE_FILE = 'nws_state.json'


@HOOKS.register_module()
class WeightSearchHook(Hook):
    """After the architecture is chosen (``ArchSearchHook`` earlier in
    ``custom_hooks``, or ``arch='path/arch.json'``), search where each
    layer's starting weights come from, then write ``subnet.pth``
    (TransNASNet backbone weights), ``subnet_model.pth`` (the whole
    model with that backbone, what ``finetune.py`` loads),
    ``weight_sources.json``, ``finetune.py`` and ``weight_sources.png``.

    Args:
        metric_key, rule: fitness, as in ArchSearchHook.
        arch: arch file; default ``<out_dir>/arch.json``.
        mode: ``'greedy'`` (coordinate ascent) or ``'evolution'``.
        passes, population, generations, top_k, mutation_prob, seed.
        proxy_iters: short finetune of each candidate on the target
            training set before BN recalibration (0: none).
        proxy_lr: learning rate of that finetune (SGD, momentum 0.9).
        calibrate_batches: training batches for BN recalibration.
        heldout: also score plain inheritance and the chosen assignment on
            the runner's test dataloader (reported, never used to choose).
        finetune: overrides merged into the generated ``finetune.py``.
        noise_repeats: plain inheritance is scored again with this many
            other calibration draws; their std is the score noise.
        noise_margin: a changed assignment is kept only if it beats plain
            inheritance by more than ``noise_margin`` x noise on the search
            split; otherwise plain is kept (never lose to it by chance).
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
                 seed: int = 0,
                 out_dir: str = 'search'):
        self.race = race_settings('WeightSearchHook', racing, race_fractions,
                                  race_margin)
        if rule not in ('greater', 'less'):
            raise ValueError(f"WeightSearchHook: rule: expected 'greater' or "
                             f"'less', got {rule!r}")
        for name, value in (('population', population),
                            ('generations', generations), ('top_k', top_k),
                            ('passes', passes)):
            if value < 1:
                raise ValueError(f'WeightSearchHook: {name}: expected >= 1, '
                                 f'got {value}')
        if len(tuple(input_shape)) != 3 or tuple(input_shape)[0] != 3:
            raise ValueError(f'WeightSearchHook: input_shape: expected (3, '
                             f'H, W), got {tuple(input_shape)}')
        if noise_repeats < 0 or noise_margin < 0:
            raise ValueError('WeightSearchHook: noise_repeats, noise_margin: '
                             f'expected >= 0, got {noise_repeats}, '
                             f'{noise_margin}')
        self.noise_repeats = noise_repeats
        self.noise_margin = noise_margin
        self.metric_key = metric_key
        self.rule = rule
        self.arch_path = arch
        self.search_cfg = dict(mode=mode, passes=passes,
                               population=population,
                               generations=generations, top_k=top_k,
                               mutation_prob=mutation_prob, seed=seed)
        self.proxy_iters = proxy_iters
        self.proxy_lr = proxy_lr
        self.calibrate_batches = calibrate_batches
        self.heldout = heldout
        self.input_shape = tuple(input_shape)
        self.finetune = finetune or {}
        self.seed = seed
        self.out_dir = out_dir
        self.result: Optional[dict] = None

    # -- weights in and out of the supernet --------------------------------
    @staticmethod
    def _originals(supernet) -> Dict[str, Dict[str, torch.Tensor]]:
        return {f'{i}.{op}': copy.deepcopy(m.state_dict())
                for i, layer in enumerate(supernet.layers)
                for op, m in layer.items() if op != SKIP}

    def _apply(self, supernet, arch, sources, originals) -> None:
        for i, (op, src) in enumerate(zip(arch_ops(arch), sources)):
            state = source_state(supernet, i, op, src, originals, self.seed)
            if state is not None:
                supernet.layers[i][op].load_state_dict(state)

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

    # -- runner events -----------------------------------------------------
    def before_train(self, runner) -> None:
        """A user-given arch must exist before hours of adaptation."""
        if self.arch_path and not osp.isfile(self.arch_path):
            raise FileNotFoundError(
                f'WeightSearchHook: arch: {self.arch_path}: file not found; '
                f'expected an arch.json (from ArchSearchHook or '
                f'tools/baseline_subnet.py)')

    def after_train(self, runner) -> None:
        out = osp.join(runner.work_dir, self.out_dir)
        arch_file = self.arch_path or osp.join(out, 'arch.json')
        # Rank 0 reads the arch and broadcasts it: every rank searches the
        # weights of the same bytes, never a file some rank is writing.
        supernet = find_supernet(runner.model)
        if is_main_process():
            remove_stale_temps(out)  # left by a kill during a write
        check_finite(unwrap(runner.model), 'WeightSearchHook')
        shared = [self._read_arch(arch_file, supernet.space)
                  if is_main_process() else None]
        broadcast_object_list(shared, src=0)
        status, arch = shared[0]
        if status == 'error':
            raise ValueError(arch)
        if status == 'missing':
            print_log(f'WeightSearchHook: no {arch_file} (the architecture '
                      f'search found no valid arch?); skipping',
                      logger='current', level=30)
            return
        supernet.set_arch(arch)
        table = CostTable.measure(supernet.space, self.input_shape,
                                  backbone=supernet)
        flops, params = table.cost(arch)
        search = WeightSearch(supernet.space, arch,
                              WeightSearchConfig(**self.search_cfg), flops,
                              params)
        model = unwrap(runner.model)
        originals = self._originals(supernet)
        snapshot = copy.deepcopy(model.state_dict())
        state_path = osp.join(out, STATE_FILE)
        extra = dict(supernet=supernet_digest(supernet),
                     metric_key=self.metric_key, rule=self.rule,
                     calibrate_batches=self.calibrate_batches,
                     proxy_iters=self.proxy_iters, proxy_lr=self.proxy_lr,
                     noise_margin=self.noise_margin,
                     val_size=len(runner.val_loop.dataloader.dataset),
                     **self.race)
        resumed = load_state(search, state_path, extra)
        if resumed:
            print_log(f'resuming weight search from {state_path} '
                      f'(step {search.generation})', logger='current')
        calib = calibration_batches(runner.train_dataloader,
                                    self.calibrate_batches, self.seed)

        def prepare(cand: Candidate) -> None:
            model.load_state_dict(snapshot)
            self._apply(supernet, arch, cand.sources, originals)

        val_loop = runner.val_loop
        scorer = SubnetScorer(runner.model, prepare, calib,
                              self.calibrate_batches, val_loop.dataloader,
                              val_loop.evaluator, self.metric_key, self.rule,
                              self.seed)
        scorer.racing = Racing.from_settings(val_loop.dataloader, self.race,
                                             self.seed)
        finetune = ProxyFinetune(
            runner.model, calibration_batches(
                runner.train_dataloader, max(self.proxy_iters, 1),
                self.seed + 1), self.proxy_iters, self.proxy_lr,
            self.seed) if self.proxy_iters > 0 else None
        if not resumed or search.generation == 0:
            noise = scorer.noise(
                scorer.score(search.candidate(search.plain), finetune),
                [calibration_batches(runner.train_dataloader,
                                     self.calibrate_batches,
                                     self.seed + 1 + k)
                 for k in range(self.noise_repeats)], finetune)
            search.noise = noise
            search.margin = self.noise_margin * noise \
                if noise == noise else 0.0
        run_search(search, scorer, state_path, extra,
                   on_generation=lambda s: self._write_log(out, s),
                   before_eval=finetune, race_k=1)
        self._write_log(out, search)
        best, plain = search.best, search.plain_candidate
        if best is None:
            model.load_state_dict(snapshot)
            first = next(iter(search.history.values()), None)
            raise RuntimeError(
                f'WeightSearchHook: every candidate failed (first: '
                f'{first.reason if first else "none evaluated"}); no '
                f'subnet written. See {osp.join(out, "nws_log.jsonl")}; '
                f'delete {osp.join(out, STATE_FILE)} to search again')
        heldout = self._heldout(runner, scorer, best, plain, finetune)
        # Final weights = the best candidate's, recalibrated as scored.
        self._materialize(runner, scorer, best, finetune)
        self._export(runner, out, supernet, arch, arch_file, search, best,
                     plain, heldout)
        model.load_state_dict(snapshot)
        self.result = dict(best=best.to_dict(),
                           plain=plain.to_dict() if plain else None,
                           heldout=heldout)

    def _materialize(self, runner, scorer, cand, finetune) -> None:
        """Put ``cand``'s weights in the model exactly as when scored."""
        scorer.prepare(cand)
        if finetune is not None:
            finetune(cand)
        with seeded(self.seed):
            recalibrate_bn(runner.model, scorer.calib_loader,
                           self.calibrate_batches)

    def _heldout(self, runner, scorer, best, plain, finetune
                 ) -> Optional[dict]:
        """Held-out metric of plain inheritance and NWS on the runner's
        test dataloader: reported, never used to choose."""
        if not self.heldout or getattr(runner, '_test_loop', None) is None:
            return None
        result = {}
        for name, cand in (('plain', plain), ('nws', best)):
            if cand is None:
                continue
            self._materialize(runner, scorer, cand, finetune)
            metrics = evaluate(runner.model, runner.test_loop.dataloader,
                               runner.test_loop.evaluator)
            result[name] = metrics.get(self.metric_key)
        return result

    @staticmethod
    def _layer_gains(search: WeightSearch) -> Dict[int, float]:
        """Greedy mode: for each layer, how much its step raised the best
        search-split score (best of its step minus best before it)."""
        if search.cfg.mode != 'greedy' or not search.plan:
            return {}
        gains: Dict[int, float] = {}
        by_gen: Dict[int, list] = {}
        for c in search.history.values():
            if c.score > WORST:
                by_gen.setdefault(c.generation, []).append(c.score)
        best_before = max(by_gen.get(0, [WORST]))
        for g in range(1, search.generation):
            layer = search.plan[(g - 1) % len(search.plan)]
            step = max(by_gen.get(g, [WORST]))
            if best_before > WORST:
                gains[layer] = max(gains.get(layer, 0.0),
                                   max(0.0, step - best_before))
            best_before = max(best_before, step)
        return gains

    def _write_log(self, out: str, search: WeightSearch) -> None:
        if is_main_process():
            write_log(osp.join(out, 'nws_log.jsonl'),
                      list(search.history.values()))

    def _export(self, runner, out, supernet, arch, arch_file, search, best,
                plain, heldout) -> None:
        if not is_main_process():
            return
        model = unwrap(runner.model)
        backbone = supernet.export_subnet(arch)
        atomic_torch_save(dict(state_dict=backbone,
                               meta=dict(arch=arch, sources=best.sources)),
                          osp.join(out, 'subnet.pth'))
        prefix = next(n for n, m in model.named_modules() if m is supernet)
        full = {k: v.clone() for k, v in model.state_dict().items()
                if not k.startswith(prefix + '.')}
        full.update({f'{prefix}.{k}': v for k, v in backbone.items()})
        atomic_torch_save(dict(state_dict=full, meta=dict(
            arch=arch, sources=best.sources, score=best.score)),
            osp.join(out, 'subnet_model.pth'))
        plain_layers = plain.sources if plain else None
        gains = self._layer_gains(search)
        rows = []
        for i, (src, op) in enumerate(zip(best.sources, arch_ops(arch))):
            rows.append(dict(layer=i, op=op, kind=src['kind'],
                             source_layer=src['layer'], source_op=src['op'],
                             changed=plain_layers is not None and
                             src != plain_layers[i],
                             step_gain=gains.get(i)))
        top = search.top(1)[0]
        atomic_write_json(osp.join(out, 'weight_sources.json'), dict(
            metric_key=self.metric_key,
            search_split=dict(
                plain=plain.score if plain and plain.score > WORST
                else None,
                nws=best.score,
                best_found=top.score),
            noise=search.noise,
            margin=search.margin,
            kept_plain=best is plain,
            heldout=heldout,
            evaluated=len(search.history),
            raced=sum(c.status == 'raced'
                      for c in search.history.values()),
            images_evaluated=sum(c.images for c in search.history.values()),
            layers=rows))
        write_finetune_config(runner.cfg, osp.join(out, 'finetune.py'),
                              osp.abspath(arch_file),
                              osp.abspath(osp.join(out, 'subnet_model.pth')),
                              supernet.out_indices, self.finetune)
        plot_weight_sources(osp.join(out, 'weight_sources.png'), rows)
