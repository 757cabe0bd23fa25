"""Proxy finetune: a few SGD steps on fixed target training batches before
a candidate is scored.

Why: a candidate scored with inherited weights before any finetuning ranks
how well the *supernet* fits that path, not how well the network will do
after the finetune the user runs next; a short finetune of the candidate
itself moves its score towards the post-finetune result. The caller's
``prepare`` restores the weights for the next candidate."""
import math
from typing import Callable, Optional

import torch
import torch.nn as nn
from mmengine.optim import OptimWrapper

from .calibrate import seeded, unwrap

SCHEDULES = ('constant', 'cosine')


def cosine_factor(step: int, iters: int) -> float:
    """The lr factor of step ``step`` of ``iters`` with the ``'cosine'``
    schedule: linear warm-up from 0.1 over the first sixth, then cosine
    annealing to 0 over the rest."""
    warm = iters // 6
    if step < warm:
        return 0.1 + 0.9 * step / warm
    return 0.5 * (1 + math.cos(math.pi * (step - warm) / max(1, iters - warm)))


class ProxyFinetune:
    """``iters`` SGD steps (momentum 0.9) over ``batches`` (repeated), the
    same batches and RNG state for every candidate. ``schedule='cosine'``:
    a linear warm-up from ``lr / 10`` over the first sixth of the steps,
    then cosine annealing to 0 (the row finetune's shape, compressed), so
    the candidate is scored at the end of an annealed run rather than in
    the middle of a noisy one; without the warm-up, archs far from the
    adapted head diverge at a finetune's lr (rank study,
    docs/results/search_fitness.md)."""

    def __init__(self, model: nn.Module, batches, iters: int, lr: float,
                 seed: int = 0, schedule: str = 'constant'):
        if iters < 0:
            raise ValueError(f'proxy_iters: expected >= 0, got {iters}')
        if not lr > 0:
            raise ValueError(f'proxy_lr: expected > 0, got {lr}')
        if schedule not in SCHEDULES:
            raise ValueError(f'proxy schedule: expected one of {SCHEDULES},'
                             f' got {schedule!r}')
        self.model = model
        self.batches = batches
        self.iters = iters
        self.lr = lr
        self.seed = seed
        self.schedule = schedule
        self.loss_sum = 0.0  # training loss summed over the last run

    def __call__(self, cand: Optional[object] = None) -> None:
        self.run(self.iters, self.batches)

    def run(self, iters: int, batches,
            before_step: Optional[Callable[[int], None]] = None) -> None:
        """``iters`` steps over ``batches`` (repeated), the lr schedule
        spread over them; ``before_step(t)`` runs before step ``t`` (a
        shared proxy sets the next candidate's path there)."""
        model = unwrap(self.model)
        optim = OptimWrapper(torch.optim.SGD(
            [p for p in model.parameters() if p.requires_grad],
            lr=self.lr, momentum=0.9))
        anneal = torch.optim.lr_scheduler.LambdaLR(
            optim.optimizer, lambda t: cosine_factor(t, iters)) \
            if self.schedule == 'cosine' else None
        was_training = model.training
        model.train()
        done, self.loss_sum = 0, 0.0
        with seeded(self.seed):
            while done < iters:
                for data in batches:
                    if before_step is not None:
                        before_step(done)
                    log_vars = model.train_step(data, optim)
                    loss = log_vars.get('loss', 0.0)
                    self.loss_sum += float(loss.detach() if hasattr(
                        loss, 'detach') else loss)
                    done += 1
                    if anneal is not None:
                        anneal.step()
                    if done >= iters:
                        break
        model.train(was_training)
