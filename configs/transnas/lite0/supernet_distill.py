# A super-network from EfficientNet-Lite0 without ImageNet: its hand chain
# keeps the ImageNet weights exactly and teaches every other op on
# unlabelled images the user has (here the photo target's training crops;
# labels unused): transnas_mm.InplaceDistiller. The saved checkpoint holds
# the super-network under backbone.*: give it to a search config as its
# source (model.backbone.init_cfg.checkpoint, or run_demo.py --source).
#   python tools/train.py configs/transnas/lite0/supernet_distill.py \
#       --work-dir work_dirs/lite0/distill
_base_ = ['../../_base_/default_runtime.py']
default_scope = 'mmpretrain'

data_root = 'data/demo/photos96/'
input_size = 96
distill_iters = 300
model = dict(
    type='transnas_mm.InplaceDistiller',
    data_preprocessor=dict(
        type='ClsDataPreprocessor', mean=[127.0, 127.0, 127.0],
        std=[128.0, 128.0, 128.0], to_rgb=True),
    backbone=dict(
        type='transnas_mm.SparseSuperNet',
        preset='efficientnet_lite0',
        out_indices=(2, 4, 6),  # strides 8, 16, 32
        init_cfg=dict(type='Pretrained',
                      checkpoint='packaged://efficientnet_lite0')))
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)

train_dataloader = dict(
    batch_size=16,
    num_workers=0,
    dataset=dict(
        type='CustomDataset', data_root=data_root, data_prefix='train',
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='RandomResizedCrop', scale=input_size,
                 crop_ratio_range=(0.5, 1.0)),
            dict(type='RandomFlip', prob=0.5, direction='horizontal'),
            dict(type='PackInputs'),
        ]),
    sampler=dict(type='InfiniteSampler', shuffle=True))
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=4e-5))
param_scheduler = dict(type='CosineAnnealingLR', by_epoch=False,
                       T_max=distill_iters)
train_cfg = dict(by_epoch=False, max_iters=distill_iters)
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=distill_iters,
                                     max_keep_ckpts=1))
visualizer = dict(type='UniversalVisualizer',
                  vis_backends=_base_.vis_backends)
log_processor = dict(by_epoch=False)
