"""Seconds per unit of a target run's work on this machine, measured on
the config's own model, input size and batches: what
:mod:`.search_cost` multiplies its counts by."""
import copy
import os.path as osp
import tempfile
import time
from typing import Callable, Dict, Sequence

import torch
from mmengine.config import Config

from ..models import find_supernet
from ..space import CostTable, reference_arch
from ..utils.config_options import find_hook
from .search_cost import StepCount


def _median_seconds(work: Callable[[], None], repeats: int) -> float:
    work()  # warm-up: allocations, lazy inits
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def time_units(model, supernet, optim_wrapper, train_batches: Sequence,
               val_batches: Sequence, repeats: int = 3
               ) -> Dict[str, float]:
    """Seconds per unit on this machine, the median of ``repeats`` after a
    warm-up, on the config's own model and batches (a weight or BN change
    does not matter for time; the model is left trained by a few steps)."""
    from mmengine.optim import OptimWrapper
    batches = iter(list(train_batches) * (3 * repeats + 3))
    val_batch = val_batches[0]
    images = len(val_batch['data_samples'])

    def adapt() -> None:
        supernet.set_arch(None)
        model.train()
        model.train_step(next(batches), optim_wrapper)

    def proxy() -> None:
        supernet.set_arch(reference_arch(supernet.space))
        model.train()
        model.train_step(next(batches), sgd)

    @torch.no_grad()
    def calib() -> None:
        model.train()
        data = model.data_preprocessor(next(batches), False)
        model(**data, mode='tensor')

    def evaluate() -> None:
        model.eval()
        with torch.no_grad():
            model.val_step(val_batch)

    adapt_step = _median_seconds(adapt, repeats)
    supernet.release_reference()  # the searches' proxies train every op
    sgd = OptimWrapper(torch.optim.SGD(
        [p for p in model.parameters() if p.requires_grad], lr=1e-6))
    return dict(train_step=adapt_step,
                proxy_step=_median_seconds(proxy, repeats),
                calib_batch=_median_seconds(calib, repeats),
                eval_image=_median_seconds(evaluate, repeats) / images)


def checkpoint_here(path) -> bool:
    """Whether an ``init_cfg`` checkpoint can be loaded here (its load is
    part of the start-up timed)."""
    return isinstance(path, str) and (path.startswith('packaged://') or
                                      osp.isfile(path))


def measure_units(cfg: Config, counts: Sequence[StepCount],
                  repeats: int = 3) -> Dict[str, float]:
    """Seconds per unit for ``cfg`` on this machine (:func:`time_units`),
    on its Runner built in a temporary work dir, in one process, without
    its hooks (SyncBN timed as BN). The start-up (building the runner and
    loading the source weights, where they are here) and the cost table
    the arch search measures become those steps' ``fixed`` seconds."""
    from mmengine.model import revert_sync_batchnorm
    from mmengine.runner import Runner

    cfg = copy.deepcopy(cfg)
    arch_hook = find_hook(cfg, 'ArchSearchHook')
    with tempfile.TemporaryDirectory() as work:
        cfg.work_dir, cfg.resume, cfg.launcher = work, False, 'none'
        cfg.custom_hooks = []
        for key in ('load_from', 'model_wrapper_cfg'):
            cfg.pop(key, None)
        init = cfg.model.backbone.get('init_cfg') or {}
        if not checkpoint_here(init.get('checkpoint')):
            cfg.model.backbone.pop('init_cfg', None)  # timing: any weights
        start = time.perf_counter()
        runner = Runner.from_cfg(cfg)
        runner.model.init_weights()
        counts[0].fixed = time.perf_counter() - start
        model = revert_sync_batchnorm(runner.model)
        supernet = find_supernet(model)
        for step in counts:
            if step.name == 'arch search' and arch_hook is not None:
                start = time.perf_counter()
                CostTable.measure(supernet.space, tuple(arch_hook.get(
                    'input_shape', (3, 224, 224))))
                step.fixed = time.perf_counter() - start
        batches = []
        for data in runner.build_dataloader(cfg.train_dataloader):
            batches.append(data)
            if len(batches) >= 4:
                break
        val = next(iter(runner.build_dataloader(cfg.val_dataloader)))
        units = time_units(model, supernet,
                           runner.build_optim_wrapper(cfg.optim_wrapper),
                           batches, [val], repeats)
        runner.logger.handlers.clear()
    return units
