"""What a comparison runs on: a target (its search config, held-out
metric, kind and pretrained source) and the source checkpoints."""
import os.path as osp
from dataclasses import dataclass
from typing import Optional

from ..apis.target_kinds import kind_of_model


@dataclass
class TargetSpec:
    """``key``: folder name; ``config``: its search config; ``metric``: the
    held-out metric key; ``task``: its kind (``apis.target_kinds``: 'cls',
    'det'); ``pretrained``: the packaged pretrained network
    (``models.pretrained.PACKAGED``) the target starts from instead of the
    demo source."""
    key: str
    config: str
    metric: str
    task: str
    pretrained: Optional[str] = None

    @classmethod
    def from_config(cls, config: str, metric: Optional[str] = None
                    ) -> 'TargetSpec':
        """A user's search config (e.g. from tools/new_target.py): the
        metric key of its ArchSearchHook unless given; classifier or
        detector from the model (the quick budgets differ)."""
        from mmengine.config import Config
        from ..utils import find_hook
        cfg = Config.fromfile(config)
        hook = find_hook(cfg, 'ArchSearchHook')
        if hook is None:
            raise ValueError(f'{config}: custom_hooks: no ArchSearchHook; '
                             f'expected a search config '
                             f'(tools/new_target.py)')
        return cls('own', osp.abspath(config),
                   metric or hook['metric_key'], kind_of_model(cfg.model).name)


# The demo's targets, by report title.
DEMO_TARGETS = {
    'detection (COCO json, digits 5-9, 150 training canvases)':
    TargetSpec('coco', 'configs/transnas/demo/coco_search.py',
               'coco/bbox_mAP', 'det'),
    'fine-grained (CUB layout, digits 5-9, 20 labels per class)':
    TargetSpec('cub', 'configs/transnas/demo/cub_search.py',
               'accuracy/top1', 'cls'),
    'natural images (crops of ten photographs, 20 labels per class)':
    TargetSpec('photos', 'configs/transnas/demo/photo_search.py',
               'accuracy/top1', 'cls'),
    'natural images from ImageNet EfficientNet-Lite0 (the same crops at '
    '96 px; finetune = static = the ImageNet network, fresh head)':
    TargetSpec('lite0', 'configs/transnas/lite0/photo_search.py',
               'accuracy/top1', 'cls', 'efficientnet_lite0'),
}


@dataclass
class Sources:
    """The checkpoints every target starts from: the source super-network
    and (optional) the hand chain trained alone on the same source."""
    supernet: str
    static: Optional[str] = None
    # the config that trains one arch alone on the source with the static
    # network's recipe and budget (the DetNAS-style row); None where the
    # source is a pretrained network whose data is not here
    retrain: Optional[str] = None
    # seconds of one such source training (the static network's), the
    # unit of the report's second cost column
    train_s: Optional[float] = None
