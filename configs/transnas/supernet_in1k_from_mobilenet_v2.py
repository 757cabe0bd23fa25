# Step 1 from the network you already have: the SparseSuperNet of the
# 'mobilenet_v2' space preset, whose hand chain is MobileNetV2 1.0, started
# from mmpretrain's ImageNet MobileNetV2 (its reference ops get those
# weights exactly, every other op is seeded from them by remap; the head
# is the checkpoint's own), then trained with a short schedule so the
# other paths catch up. Fetch the checkpoint once:
#   mim download mmpretrain --config mobilenet-v2_8xb32_in1k --dest checkpoints
# then (8 GPUs):
#   tools/dist_train.sh configs/transnas/supernet_in1k_from_mobilenet_v2.py 8
# A torchvision mobilenet_v2 state dict works too (backbone only: drop the
# head's init_cfg). tools/convert/mobilenet_v2.py saves the converted
# weights if you want them as a file.
_base_ = ['./supernet_in1k.py']

mbv2_checkpoint = 'checkpoints/mobilenet_v2_batch256_imagenet_20200708-3b2dc3af.pth'  # noqa: E501
model = dict(
    backbone=dict(
        _delete_=True,
        type='transnas_mm.SparseSuperNet',
        preset='mobilenet_v2',  # 17 searchable layers, C=7 (3 for the first)
        max_extra_edges=2,
        edge_drop_prob=0.5,
        edge_seed=0,
        out_indices=(6, ),  # the final 1x1 conv: 1280 channels
        init_cfg=dict(type='Pretrained', checkpoint=mbv2_checkpoint)),
    head=dict(
        in_channels=1280,
        init_cfg=dict(type='Pretrained', checkpoint=mbv2_checkpoint,
                      prefix='head.')))

# A fraction of the from-scratch schedule (120 epochs): the reference path
# starts trained, the others start from its remapped weights.
optim_wrapper = dict(optimizer=dict(lr=0.1))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, T_max=29, begin=1,
         end=30),
]
train_cfg = dict(by_epoch=True, max_epochs=30, val_interval=5)
