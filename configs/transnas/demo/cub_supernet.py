# Target (fine-grained classification, CUB layout) with the SparseSuperNet
# backbone loaded from the same source checkpoint.
_base_ = [
    '../../_base_/datasets/demo_cub.py',
    '../../_base_/models/demo_space.py',
    '../../_base_/default_runtime.py',
]
default_scope = 'mmpretrain'

model = dict(
    type='ImageClassifier',
    backbone=_base_.demo_cls_supernet,
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=5,
        in_channels=96,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )))
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=4e-5))
param_scheduler = dict(type='CosineAnnealingLR', by_epoch=True, T_max=4)
train_cfg = dict(by_epoch=True, max_epochs=4, val_interval=4)
val_cfg = dict(type='transnas_mm.SubnetValLoop', archs=('reference', ),
               calibrate_batches=4)
test_cfg = dict()

visualizer = dict(type='UniversalVisualizer', vis_backends=_base_.vis_backends)
