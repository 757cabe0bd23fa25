"""A super-network from a pretrained network without its source data: the
hand chain keeps the pretrained weights exactly (frozen, BatchNorm in eval
mode) and teaches every other op. Each step runs the hand chain on a batch
of unlabelled images, then one sampled sub-network, whose stage outputs
are pulled towards the hand chain's (in-place distillation, as OFA and
BigNAS train their sub-networks from the largest one). The images can be
any the user has: the target's own training images, labels unused."""
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from torch import Tensor

from ..registry import MODELS
from ..space import SKIP, arch_ops, reference_arch


@MODELS.register_module()
class InplaceDistiller(BaseModel):
    """Train a ``SparseSuperNet`` (``backbone``) towards its own hand chain.

    The checkpoint it saves holds the super-network under ``backbone.``:
    a source checkpoint as every search config takes it.

    Args:
        backbone: the ``SparseSuperNet`` config, loaded from the pretrained
            network (``init_cfg``); its ``out_indices`` are the stages
            whose outputs are matched.
        data_preprocessor: e.g. mmpretrain's ``ClsDataPreprocessor`` with
            the pretrained network's input normalisation.
    """

    def __init__(self, backbone: dict,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        space = self.backbone.space
        self._reference = reference_arch(space)
        ref_ops = arch_ops(self._reference)
        # what the teacher is made of: never trained, BN statistics fixed
        self._frozen = [self.backbone.stem] + [
            self.backbone.layers[i][op] for i, op in enumerate(ref_ops)
            if op != SKIP]
        if self.backbone.final_conv is not None:
            self._frozen.append(self.backbone.final_conv)

    def init_weights(self) -> None:
        super().init_weights()
        for module in self._frozen:
            for p in module.parameters():
                p.requires_grad = False

    def train(self, mode: bool = True) -> 'InplaceDistiller':
        super().train(mode)
        for module in self._frozen:
            module.eval()
        return self

    def _teacher(self, inputs: Tensor) -> Sequence[Tensor]:
        net = self.backbone
        net.set_arch(self._reference)
        training = net.training
        net.eval()
        try:
            with torch.no_grad():
                return net(inputs)
        finally:
            net.train(training)
            for module in self._frozen:
                module.eval()
            net.set_arch(None)  # back to one sampled path per step

    def forward(self, inputs: Tensor, data_samples: Optional[List] = None,
                mode: str = 'tensor'
                ) -> Union[Dict[str, Tensor], Sequence[Tensor]]:
        if mode == 'loss':
            return self.loss(inputs)
        if mode == 'tensor':
            return self.backbone(inputs)
        raise ValueError(f"mode: {mode!r}; InplaceDistiller trains only "
                         f"(expected 'loss' or 'tensor')")

    def loss(self, inputs: Tensor) -> Dict[str, Tensor]:
        """Per matched stage, the mean squared error to the hand chain's
        output, relative to that output's variance (every stage weighs
        alike, whatever its scale)."""
        targets = self._teacher(inputs)
        outputs = self.backbone(inputs)
        return {f'loss_stage{i}': F.mse_loss(out, target) /
                target.var().clamp_min(1e-6)
                for i, out, target in zip(self.backbone.out_indices,
                                          outputs, targets)}
