# Step 1 of the workflow on the demo data, CPU, a few minutes: train the
# SparseSuperNet once on the source task (digits 0-4). Every iteration trains
# one randomly sampled sub-network. Validation scores fixed sub-networks
# (reference chain, largest, smallest) after BN recalibration.
_base_ = [
    '../../_base_/datasets/demo_source.py',
    '../../_base_/models/demo_space.py',
    '../../_base_/default_runtime.py',
]
default_scope = 'mmpretrain'

model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='transnas_mm.SparseSuperNet',
        out_indices=(3, ),
        **_base_.demo_space),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=5,
        in_channels=96,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )))

# Each step uses one path: the other candidates get no gradient.
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)

# Random-path training learns slower than one fixed network: each op of
# each layer is trained in about 1/C of the steps (measured on this data:
# ~900 steps to 92% for the reference sub-network, vs ~100 for a static one).
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=4e-5))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', by_epoch=True, T_max=40, begin=0, end=40),
]
train_cfg = dict(by_epoch=True, max_epochs=40, val_interval=10)
val_cfg = dict(
    type='transnas_mm.SubnetValLoop',
    archs=('reference', 'largest', 'smallest'),
    calibrate_batches=4)
test_cfg = dict()

default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=1))
visualizer = dict(type='UniversalVisualizer', vis_backends=_base_.vis_backends)
