# Step 1 of the workflow on the demo data, CPU, a few minutes: train the
# SparseSuperNet once on the source task (85 formula-driven classes). Every iteration trains
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
        # the reference chain first, then sampled paths (see the docstring)
        warmup_iters=2000,
        **_base_.demo_space),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=_base_.source_num_classes,
        in_channels=96,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )))

# Each step uses one path: the other candidates get no gradient.
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)

# Random-path training learns slower than one fixed network: each op of
# each layer is trained in about 1/C of the steps.
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=4e-5))
source_epochs = 18
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0,
         end=200),
    dict(type='CosineAnnealingLR', by_epoch=True, T_max=source_epochs,
         begin=0, end=source_epochs),
]
train_cfg = dict(by_epoch=True, max_epochs=source_epochs,
                 val_interval=source_epochs)
val_cfg = dict(
    type='transnas_mm.SubnetValLoop',
    archs=('reference', 'largest', 'smallest'),
    calibrate_batches=4)
test_cfg = dict()

default_hooks = dict(checkpoint=dict(interval=6, max_keep_ckpts=1))
visualizer = dict(type='UniversalVisualizer', vis_backends=_base_.vis_backends)
