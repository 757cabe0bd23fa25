"""Score a model on a dataloader with an MMEngine evaluator, outside any
runner loop (no hooks fire): the fitness of a search candidate."""
from typing import Dict

import torch
import torch.nn as nn
from mmengine.evaluator import Evaluator
from mmengine.evaluator.metric import _to_cpu


@torch.no_grad()
def evaluate(model: nn.Module, dataloader, evaluator: Evaluator,
             here: bool = False) -> Dict[str, float]:
    """``val_step`` over ``dataloader`` (each rank its shard), then the
    evaluator's distributed ``evaluate``: same numbers on 1 or N ranks.
    ``here``: every metric computed on this rank alone, with no collective
    (a rank scoring its own candidates over the whole split,
    :mod:`.spread`): the same results in the same order and the same
    ``compute_metrics`` as one rank's ``evaluate``."""
    model.eval()
    for data in dataloader:
        outputs = model.val_step(data)
        evaluator.process(data_samples=outputs, data_batch=data)
    if not here:
        return evaluator.evaluate(len(dataloader.dataset))
    metrics: Dict[str, float] = {}
    for metric in evaluator.metrics:
        results, metric.results = metric.results, []
        found = metric.compute_metrics(_to_cpu(results))
        if metric.prefix:
            found = {f'{metric.prefix}/{k}': v for k, v in found.items()}
        metrics.update(found)
    return metrics
