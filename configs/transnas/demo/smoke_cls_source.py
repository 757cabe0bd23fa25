# Foundation smoke config (mmpretrain scope): a small ImageClassifier on the
# demo source set. Template for the supernet source configs.
_base_ = [
    '../../_base_/datasets/demo_source.py',
    '../../_base_/default_runtime.py',
]
default_scope = 'mmpretrain'

model = dict(
    type='ImageClassifier',
    backbone=dict(type='MobileNetV2', widen_factor=0.5),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=_base_.source_num_classes,
        in_channels=1280,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )))

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=4e-5))
param_scheduler = dict(type='CosineAnnealingLR', by_epoch=True, T_max=2)
train_cfg = dict(by_epoch=True, max_epochs=2, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=32)

visualizer = dict(type='UniversalVisualizer', vis_backends=_base_.vis_backends)
