# Step 1 at real scale: train the SparseSuperNet once on ImageNet-1k.
# 8 GPUs: tools/dist_train.sh configs/transnas/supernet_in1k.py 8
# Data: data/imagenet/{train,val} + meta/{train,val}.txt (mmpretrain layout).
_base_ = ['../_base_/default_runtime.py']
default_scope = 'mmpretrain'

model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='transnas_mm.SparseSuperNet',
        # default MobileNetV2-sized space: 21 searchable layers, C=7
        max_extra_edges=2,
        edge_drop_prob=0.5,
        edge_seed=0,
        out_indices=(5, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=320,
        loss=dict(
            type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
        topk=(1, 5)))
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)

data_preprocessor = dict(
    num_classes=1000,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=256, edge='short'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=128,
    num_workers=8,
    dataset=dict(
        type='ImageNet',
        data_root='data/imagenet',
        split='train',
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True))
val_dataloader = dict(
    batch_size=128,
    num_workers=8,
    dataset=dict(
        type='ImageNet',
        data_root='data/imagenet',
        split='val',
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
val_evaluator = dict(type='Accuracy', topk=(1, 5))
test_dataloader = val_dataloader
test_evaluator = val_evaluator

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.5, momentum=0.9, weight_decay=4e-5,
                   nesterov=True),
    paramwise_cfg=dict(norm_decay_mult=0.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=5,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, T_max=115, begin=5,
         end=120),
]
train_cfg = dict(by_epoch=True, max_epochs=120, val_interval=5)
val_cfg = dict(
    type='transnas_mm.SubnetValLoop',
    archs=('reference', 'largest', 'smallest'),
    calibrate_batches=20)
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=1024)

default_hooks = dict(
    logger=dict(interval=100),
    checkpoint=dict(interval=5, max_keep_ckpts=3))
visualizer = dict(type='UniversalVisualizer', vis_backends=_base_.vis_backends)
