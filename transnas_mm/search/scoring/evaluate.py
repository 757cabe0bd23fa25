"""Score a model on a dataloader with an MMEngine evaluator, outside any
runner loop (no hooks fire): the fitness of a search candidate."""
from typing import Dict

import torch
import torch.nn as nn
from mmengine.evaluator import Evaluator


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
