# Foundation smoke config (mmdet scope): RetinaNet + FPN on the COCO-format
# demo target with a stock mmdet ResNet-18 (narrow) backbone; the detector
# is the shared demo RetinaNet.
_base_ = [
    '../../_base_/datasets/demo_coco.py',
    '../../_base_/models/retinanet_demo.py',
    '../../_base_/default_runtime.py',
]
default_scope = 'mmdet'

model = dict(
    backbone=dict(
        type='ResNet',
        depth=18,
        base_channels=16,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        style='pytorch'),
    neck=dict(in_channels=[16, 32, 64, 128]))

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-4),
    clip_grad=dict(max_norm=35, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=2, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

visualizer = dict(
    type='DetLocalVisualizer', vis_backends=_base_.vis_backends,
    name='visualizer')
