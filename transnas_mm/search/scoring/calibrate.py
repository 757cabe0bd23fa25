"""BatchNorm recalibration: weights inherited from a super-network come with
BN statistics of *other* sub-networks; a candidate's score is meaningless
until its own statistics are re-estimated on a few target batches."""
import random
from contextlib import contextmanager
from typing import Iterable, Iterator, List

import numpy as np
import torch
import torch.nn as nn
from mmengine.dist import all_reduce, get_world_size
from mmengine.model import is_model_wrapper
from torch.nn.modules.batchnorm import _BatchNorm
from torch.utils.data import DataLoader


def unwrap(model: nn.Module) -> nn.Module:
    return model.module if is_model_wrapper(model) else model


@torch.no_grad()
def recalibrate_bn(model: nn.Module, batches: Iterable,
                   num_batches: int, across_ranks: bool = True) -> int:
    """Reset BN running stats and re-estimate them as the exact average over
    ``num_batches`` batches (``momentum=None``), forwarding in train mode
    without gradients; averaged across ranks unless ``across_ranks`` is
    False (a rank scoring a candidate of its own). Works with MMEngine dict
    batches and mmdet/mmpretrain data samples. Returns batches used."""
    model = unwrap(model)
    bns: List[_BatchNorm] = [m for m in model.modules()
                             if isinstance(m, _BatchNorm)
                             and m.track_running_stats]
    if not bns or num_batches <= 0:
        return 0
    momenta = [bn.momentum for bn in bns]
    was_training = model.training
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None  # cumulative average
    model.train()
    used = 0
    try:
        for data in batches:
            if used >= num_batches:
                break
            data = model.data_preprocessor(data, False)
            if isinstance(data, dict):
                model(**data, mode='tensor')
            else:
                model(*data, mode='tensor')
            used += 1
    finally:
        for bn, momentum in zip(bns, momenta):
            bn.momentum = momentum
        model.train(was_training)
    if across_ranks and get_world_size() > 1:
        # Weighted by each rank's batch count: equals one rank seeing all.
        count = torch.tensor(float(used))
        all_reduce(count, op='sum')
        for bn in bns:
            for buf in (bn.running_mean, bn.running_var):
                buf.mul_(used)
                all_reduce(buf, op='sum')
                buf.div_(max(count.item(), 1.0))
    return used


def calibration_batches(dataloader, num_batches: int, seed: int = 0
                        ) -> DataLoader:
    """The same ``num_batches`` training batches on every rank and for every
    candidate: a seeded subset of ``dataloader.dataset`` in a plain loader
    (same batch size and collate). Identical statistics on 1 or N ranks."""
    dataset = dataloader.dataset
    batch_size = dataloader.batch_size or getattr(
        dataloader.batch_sampler, 'batch_size', 1)
    count = min(len(dataset), num_batches * batch_size)
    order = np.random.default_rng(seed).permutation(len(dataset))[:count]
    return DataLoader(dataset, batch_size=batch_size,
                      sampler=order.tolist(), num_workers=0,
                      collate_fn=dataloader.collate_fn, drop_last=False)


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Fix python/numpy/torch RNGs (random augmentations of the calibration
    pipeline) inside the block; restore the outer state afterwards."""
    states = (random.getstate(), np.random.get_state(),
              torch.random.get_rng_state())
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    try:
        yield
    finally:
        random.setstate(states[0])
        np.random.set_state(states[1])
        torch.random.set_rng_state(states[2])
