# Faster R-CNN + FPN with the SparseSuperNet backbone from the source
# checkpoint: two-stage detectors take it as a drop-in backbone too.
_base_ = [
    '../../_base_/datasets/demo_coco.py',
    '../../_base_/models/demo_space.py',
    '../../_base_/models/faster_rcnn_demo.py',
    '../../_base_/default_runtime.py',
]
default_scope = 'mmdet'

model = dict(backbone=_base_.demo_det_supernet)
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=1e-4),
    clip_grad=dict(max_norm=35, norm_type=2))
# The finetune's 50-step warm-up, as the RetinaNet adaptation
# (retinanet_supernet_coco.py: with 20 steps one of three seeds collapsed).
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=4, val_interval=4)
val_cfg = dict(type='transnas_mm.SubnetValLoop', archs=('reference', ),
               calibrate_batches=4)
test_cfg = dict(type='TestLoop')

visualizer = dict(
    type='DetLocalVisualizer', vis_backends=_base_.vis_backends,
    name='visualizer')
