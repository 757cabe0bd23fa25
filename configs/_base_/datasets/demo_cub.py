# Demo fine-grained target (digits 5-9 in clutter), CUB_200_2011 layout read
# by mmpretrain's own CUB dataset class.
dataset_type = 'CUB'
data_root = 'data/demo/CUB_200_2011/'
cub_classes = ('5', '6', '7', '8', '9')

data_preprocessor = dict(
    num_classes=5,
    mean=[127.5, 127.5, 127.5],
    std=[127.5, 127.5, 127.5],
    to_rgb=True)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=48, crop_ratio_range=(0.8, 1.0)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=32,
    num_workers=0,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        metainfo=dict(classes=cub_classes),
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True))
# 20 labelled training images per class (the transfer regime). CUB has
# train/test only: the test split's first 200 images are the search split
# (val), the other 596 are held out (test, never used to choose; one image
# = 0.17 points).
val_dataloader = dict(
    batch_size=64,
    num_workers=0,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        indices=list(range(200)),
        metainfo=dict(classes=cub_classes),
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
test_dataloader = dict(
    batch_size=64,
    num_workers=0,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        indices=list(range(200, 796)),
        metainfo=dict(classes=cub_classes),
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_evaluator = val_evaluator
