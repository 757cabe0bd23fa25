# The real-weights route for a detection target (COCO json): RetinaNet +
# FPN on EfficientNet-Lite0's ImageNet chain, converted into the
# 'efficientnet_lite0' super-network without its 1x1 head conv
# (last_channels=0: the neck takes strides 8/16/32 at 40/112/320 channels),
# no source training. The demo detection target's data, adaptation, both
# searches and finetune budget; a template for tools/new_target.py det:
#   python tools/new_target.py det --template configs/transnas/lite0/coco_search.py \
#       --train train.json --val val.json --image-size 128 --out my_det.py
_base_ = ['../demo/coco_search.py']

source_checkpoint = 'packaged://efficientnet_lite0'
model = dict(
    data_preprocessor=dict(mean=[127.0, 127.0, 127.0],
                           std=[128.0, 128.0, 128.0]),
    backbone=dict(
        _delete_=True,
        type='transnas_mm.SparseSuperNet',
        preset='efficientnet_lite0',
        last_channels=0,
        out_indices=(2, 4, 6),
        # keep_reference=True would leave the ImageNet chain as it is
        # during the adaptation (see configs/transnas/lite0/README.md)
        # as on the demo detection target: the head fits the reference
        # path first (here: the ImageNet chain itself), then paths are
        # sampled; the other ops keep their remap-seeded weights until then
        warmup_iters=152,
        warmup_reseed=False,
        init_cfg=dict(type='Pretrained', checkpoint=source_checkpoint)),
    neck=dict(in_channels=[40, 112, 320], start_level=0))
