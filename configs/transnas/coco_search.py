# Step 2 at real scale: ImageNet supernet -> COCO detection.
#   tools/dist_train.sh configs/transnas/coco_search.py 8 \
#       --cfg-options model.backbone.init_cfg.checkpoint=work_dirs/supernet_in1k/epoch_120.pth
# RetinaNet + FPN; the SparseSuperNet (default space) is adapted on COCO for
# `max_epochs`, then ArchSearchHook searches (fitness coco/bbox_mAP on val).
_base_ = [
    '../_base_/datasets/coco_detection.py',
    '../_base_/default_runtime.py',
    '../_base_/search/real_scale_search.py',
    '../_base_/search/det_floor.py',
]
default_scope = 'mmdet'
source_checkpoint = 'work_dirs/supernet_in1k/epoch_120.pth'

model = dict(
    type='RetinaNet',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32),
    backbone=dict(
        type='transnas_mm.SparseSuperNet',
        out_indices=(1, 3, 5),  # strides 8/16/32: 32, 96, 320 channels
        norm_cfg=dict(type='SyncBN', requires_grad=True),
        init_cfg=dict(
            type='Pretrained', checkpoint=source_checkpoint,
            prefix='backbone.')),
    neck=dict(
        type='FPN',
        in_channels=[32, 96, 320],
        out_channels=256,
        start_level=0,
        add_extra_convs='on_input',
        num_outs=5),
    bbox_head=dict(
        type='RetinaHead',
        num_classes=80,
        in_channels=256,
        stacked_convs=4,
        feat_channels=256,
        anchor_generator=dict(
            type='AnchorGenerator',
            octave_base_scale=4,
            scales_per_octave=3,
            ratios=[0.5, 1.0, 2.0],
            strides=[8, 16, 32, 64, 128]),
        bbox_coder=dict(
            type='DeltaXYWHBBoxCoder',
            target_means=[.0, .0, .0, .0],
            target_stds=[1.0, 1.0, 1.0, 1.0]),
        loss_cls=dict(
            type='FocalLoss',
            use_sigmoid=True,
            gamma=2.0,
            alpha=0.25,
            loss_weight=1.0),
        loss_bbox=dict(type='L1Loss', loss_weight=1.0)),
    train_cfg=dict(
        assigner=dict(
            type='MaxIoUAssigner',
            pos_iou_thr=0.5,
            neg_iou_thr=0.4,
            min_pos_iou=0,
            ignore_iof_thr=-1),
        sampler=dict(type='PseudoSampler'),
        allowed_border=-1,
        pos_weight=-1,
        debug=False),
    test_cfg=dict(
        nms_pre=1000,
        min_bbox_size=0,
        score_thr=0.05,
        nms=dict(type='nms', iou_threshold=0.5),
        max_per_img=100))
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-4),
    clip_grad=dict(max_norm=35, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
         end=500),
    dict(type='MultiStepLR', by_epoch=True, milestones=[8, 11], gamma=0.1,
         begin=0, end=12),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=12, val_interval=12)
val_cfg = dict(type='transnas_mm.SubnetValLoop', archs=('reference', ),
               calibrate_batches=50)
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(enable=False, base_batch_size=16)

# What both search hooks share (the objective, its calibration, and the
# floor that stops a search on a collapsed adaptation).
search_common = dict(metric_key='coco/bbox_mAP', input_shape=(3, 800, 1333),
                     calibrate_batches=50, seed=0, floor=_base_.det_floor)
custom_hooks = [
    dict(**_base_.arch_search, **search_common),
    dict(**_base_.weight_search, **search_common),
]
resume = True
visualizer = dict(
    type='DetLocalVisualizer', vis_backends=_base_.vis_backends,
    name='visualizer')
