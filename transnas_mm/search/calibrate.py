"""BatchNorm recalibration: weights inherited from a super-network come with
BN statistics of *other* sub-networks; a candidate's score is meaningless
until its own statistics are re-estimated on a few target batches."""
from typing import Iterable, List

import torch
import torch.nn as nn
from mmengine.dist import all_reduce, get_world_size
from mmengine.model import is_model_wrapper
from torch.nn.modules.batchnorm import _BatchNorm


def unwrap(model: nn.Module) -> nn.Module:
    return model.module if is_model_wrapper(model) else model


@torch.no_grad()
def recalibrate_bn(model: nn.Module, batches: Iterable,
                   num_batches: int) -> int:
    """Reset BN running stats and re-estimate them as the exact average over
    ``num_batches`` batches (``momentum=None``), forwarding in train mode
    without gradients; averaged across ranks. Works with MMEngine dict
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
    if get_world_size() > 1:
        # Weighted by each rank's batch count: equals one rank seeing all.
        count = torch.tensor(float(used))
        all_reduce(count, op='sum')
        for bn in bns:
            for buf in (bn.running_mean, bn.running_var):
                buf.mul_(used)
                all_reduce(buf, op='sum')
                buf.div_(max(count.item(), 1.0))
    return used
