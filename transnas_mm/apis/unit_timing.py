"""Seconds per unit of a target run's work on this machine, measured on
the config's own model, input size and batches: what
:mod:`.search_cost` multiplies its counts by."""
import copy
import itertools
import os.path as osp
import tempfile
import time
from typing import Callable, Dict, Optional, Sequence

import numpy as np
import torch
from mmengine.config import Config

from ..models import find_supernet
from ..registry import HOOKS
from ..search.arch.search import sample_arch_within
from ..search.scoring.calibrate import calibration_batches
from ..search.scoring.proxy import ProxyFinetune
from ..space import Arch, CostTable, reference_arch, sample_arch
from ..space.complexity import INPUT_SHAPE
from ..utils.config_options import find_hook
from .search_cost import StepCount


# steps of each timed proxy run (a proxy step's seconds: a run's / this)
PROXY_STEPS = 3


def _mean_seconds(work: Callable[[], None], draws: int) -> float:
    """Mean seconds of ``work`` over ``draws`` calls after one warm-up.
    A mean, not a median: each call trains or scores another sub-network
    and a step's cost is the sum over the paths it meets."""
    work()  # warm-up: allocations, lazy inits
    start = time.perf_counter()
    for _ in range(draws):
        work()
    return (time.perf_counter() - start) / draws


def time_units(model, supernet, optim_wrapper, train_batches: Sequence,
               val_batches: Sequence, candidate: Callable[[], Arch],
               proxy_batches, draws: int = 10) -> Dict[str, float]:
    """Seconds per unit on this machine, each the mean of ``draws`` calls
    after a warm-up, on the config's own model and batches. The adaptation
    step samples its path as training does; the proxy step, calibration
    batch and evaluated image each run on another ``candidate()`` (an arch
    the search could score: they range from small to large, and one fixed
    arch would time only its own size); the finetune step on the reference
    arch (the finetune row's network). A weight or BN change does not
    matter for time; the model is left trained by a few steps."""
    from mmengine.optim import OptimWrapper
    batches = itertools.cycle(train_batches)
    vals = itertools.cycle(val_batches)
    images = len(val_batches[0]['data_samples'])

    def adapt() -> None:
        supernet.set_arch(None)
        model.train()
        model.train_step(next(batches), optim_wrapper)

    def step(arch: Arch) -> None:
        supernet.set_arch(arch)
        model.train()
        model.train_step(next(batches), sgd)

    def proxy() -> None:
        # the searches' own proxy code: its optimiser, schedule and the
        # fixed batches it loads again for every candidate
        supernet.set_arch(candidate())
        ProxyFinetune(model, proxy_batches, PROXY_STEPS, 1e-6, 0,
                      'cosine')()

    @torch.no_grad()
    def calib() -> None:
        supernet.set_arch(candidate())
        model.train()
        data = model.data_preprocessor(next(batches), False)
        model(**data, mode='tensor')

    def evaluate() -> None:
        supernet.set_arch(candidate())
        model.eval()
        with torch.no_grad():
            model.val_step(next(vals))

    adapt_step = _mean_seconds(adapt, draws)
    supernet.release_reference()  # the searches' proxies train every op
    sgd = OptimWrapper(torch.optim.SGD(
        [p for p in model.parameters() if p.requires_grad], lr=1e-6))
    reference = reference_arch(supernet.space)
    return dict(train_step=adapt_step,
                proxy_step=_mean_seconds(proxy, draws) / PROXY_STEPS,
                finetune_step=_mean_seconds(lambda: step(reference), draws),
                calib_batch=_mean_seconds(calib, draws),
                eval_image=_mean_seconds(evaluate, draws) / images)


def candidate_sampler(supernet, table: Optional[CostTable],
                      arch_hook: Optional[dict], seed: int = 0
                      ) -> Callable[[], Arch]:
    """Random archs within the arch search's constraints (``table``: its
    cost table); with no arch search any arch of the space."""
    rng = np.random.default_rng(seed)
    if arch_hook is None:
        return lambda: sample_arch(supernet.space, rng)
    cfg = HOOKS.build(dict(arch_hook)).job.search_cfg
    return lambda: sample_arch_within(
        supernet.space, table, rng, cfg.flops_range, cfg.params_range,
        cfg.edge_keep_prob)


def checkpoint_here(path) -> bool:
    """Whether an ``init_cfg`` checkpoint can be loaded here (its load is
    part of the start-up timed)."""
    return isinstance(path, str) and (path.startswith('packaged://') or
                                      osp.isfile(path))


def measure_units(cfg: Config, counts: Sequence[StepCount],
                  draws: int = 10) -> Dict[str, float]:
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
        table = None
        if arch_hook is not None:  # its constraints draw the candidates
            start = time.perf_counter()
            table = CostTable.measure(supernet.space, tuple(
                arch_hook.get('input_shape', INPUT_SHAPE)))
            for step in counts:
                if step.name == 'arch search':
                    step.fixed = time.perf_counter() - start
        loader = iter(runner.build_dataloader(cfg.train_dataloader))
        next(loader)  # the workers' start-up is not a batch's cost
        start = time.perf_counter()
        batches = list(itertools.islice(loader, 4))
        data_batch = (time.perf_counter() - start) / max(len(batches), 1)
        vals = list(itertools.islice(
            runner.build_dataloader(cfg.val_dataloader), 4))
        units = time_units(model, supernet,
                           runner.build_optim_wrapper(cfg.optim_wrapper),
                           batches, vals, candidate_sampler(
                               supernet, table, arch_hook),
                           calibration_batches(runner.train_dataloader,
                                               PROXY_STEPS), draws)
        runner.logger.handlers.clear()
    return dict(units, data_batch=data_batch)
