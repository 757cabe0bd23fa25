"""WeightSearchHook: the NWS module (weight transfer) as a thin adapter
between runner events and :mod:`transnas_mm.search`."""
import copy
import os.path as osp
from typing import Dict, Optional, Sequence

import torch
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.logging import print_log

from ..engine import find_supernet
from ..registry import HOOKS
from ..search import (WORST, Candidate, SubnetScorer, calibration_batches,
                      evaluate, load_state, recalibrate_bn, run_search,
                      seeded, unwrap, write_log)
from ..search.weight_search import WeightSearch, WeightSearchConfig
from ..search.weight_sources import source_state
from ..space import CostTable, SKIP, arch_ops, load_arch
from ..utils.atomic_io import atomic_torch_save, atomic_write_json
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
                 seed: int = 0,
                 out_dir: str = 'search'):
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

    def _proxy_finetune(self, runner):
        """K iterations of SGD on the target training set before scoring;
        ``prepare`` restores the snapshot for the next candidate."""
        if self.proxy_iters <= 0:
            return None
        model = unwrap(runner.model)

        def finetune(cand: Candidate) -> None:
            from mmengine.optim import OptimWrapper
            optim = OptimWrapper(torch.optim.SGD(
                [p for p in model.parameters() if p.requires_grad],
                lr=self.proxy_lr, momentum=0.9))
            model.train()
            with seeded(self.seed):
                done = 0
                while done < self.proxy_iters:
                    for data in self._proxy_loader:
                        model.train_step(data, optim)
                        done += 1
                        if done >= self.proxy_iters:
                            break
        return finetune

    # -- runner event ------------------------------------------------------
    def after_train(self, runner) -> None:
        out = osp.join(runner.work_dir, self.out_dir)
        arch_file = self.arch_path or osp.join(out, 'arch.json')
        if not osp.isfile(arch_file):
            print_log(f'WeightSearchHook: no {arch_file} (the architecture '
                      f'search found no valid arch?); skipping',
                      logger='current', level=30)
            return
        supernet = find_supernet(runner.model)
        arch = load_arch(arch_file, supernet.space)
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
        extra = dict(supernet=supernet_digest(supernet))
        if load_state(search, state_path, extra):
            print_log(f'resuming weight search from {state_path} '
                      f'(step {search.generation})', logger='current')
        calib = calibration_batches(runner.train_dataloader,
                                    self.calibrate_batches, self.seed)
        self._proxy_loader = calibration_batches(
            runner.train_dataloader, max(self.proxy_iters, 1),
            self.seed + 1)

        def prepare(cand: Candidate) -> None:
            model.load_state_dict(snapshot)
            self._apply(supernet, arch, cand.sources, originals)

        val_loop = runner.val_loop
        scorer = SubnetScorer(runner.model, prepare, calib,
                              self.calibrate_batches, val_loop.dataloader,
                              val_loop.evaluator, self.metric_key, self.rule,
                              self.seed)
        finetune = self._proxy_finetune(runner)
        run_search(search, scorer, state_path, extra,
                   on_generation=lambda s: self._write_log(out, s),
                   before_eval=finetune)
        self._write_log(out, search)
        best, plain = search.best, search.plain_candidate
        if best is None:
            model.load_state_dict(snapshot)
            print_log('WeightSearchHook: every candidate failed; no '
                      'subnet written', logger='current', level=30)
            return
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
        rows = []
        for i, (src, op) in enumerate(zip(best.sources, arch_ops(arch))):
            rows.append(dict(layer=i, op=op, kind=src['kind'],
                             source_layer=src['layer'], source_op=src['op'],
                             changed=plain_layers is not None and
                             src != plain_layers[i]))
        atomic_write_json(osp.join(out, 'weight_sources.json'), dict(
            metric_key=self.metric_key,
            search_split=dict(
                plain=plain.score if plain and plain.score > WORST
                else None,
                nws=best.score),
            heldout=heldout,
            evaluated=len(search.history),
            layers=rows))
        write_finetune_config(runner.cfg, osp.join(out, 'finetune.py'),
                              osp.abspath(arch_file),
                              osp.abspath(osp.join(out, 'subnet_model.pth')),
                              supernet.out_indices, self.finetune)
        plot_weight_sources(osp.join(out, 'weight_sources.png'), rows)
