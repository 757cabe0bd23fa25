"""Score a model on a dataloader with an MMEngine evaluator, outside any
runner loop (no hooks fire): the fitness of a search candidate."""
from typing import Dict

import torch
import torch.nn as nn
from mmengine.evaluator import Evaluator
from mmengine.evaluator.metric import _to_cpu


@torch.no_grad()
def evaluate(model: nn.Module, dataloader, evaluator: Evaluator
             ) -> Dict[str, float]:
    """``val_step`` over ``dataloader`` (each rank its shard), then the
    evaluator's distributed ``evaluate``: same numbers on 1 or N ranks."""
    model.eval()
    for data in dataloader:
        outputs = model.val_step(data)
        evaluator.process(data_samples=outputs, data_batch=data)
    return evaluator.evaluate(len(dataloader.dataset))


@torch.no_grad()
def evaluate_here(model: nn.Module, dataloader, evaluator: Evaluator
                  ) -> Dict[str, float]:
    """``val_step`` over all of ``dataloader`` on this rank alone and each
    metric computed here, with no collective: what a rank scoring its own
    candidates uses (:mod:`.spread`). Same numbers as :func:`evaluate` on
    one rank: the same results in the same order, the same
    ``compute_metrics``."""
    model.eval()
    for data in dataloader:
        outputs = model.val_step(data)
        evaluator.process(data_samples=outputs, data_batch=data)
    metrics: Dict[str, float] = {}
    for metric in evaluator.metrics:
        results, metric.results = metric.results, []
        found = metric.compute_metrics(_to_cpu(results))
        if metric.prefix:
            found = {f'{metric.prefix}/{k}': v for k, v in found.items()}
        metrics.update(found)
    return metrics
