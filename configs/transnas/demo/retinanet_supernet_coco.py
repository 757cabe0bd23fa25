# Target (detection) with the SparseSuperNet backbone loaded from the source
# checkpoint: the start of step 2 (supernet adaptation on target data).
_base_ = [
    '../../_base_/datasets/demo_coco.py',
    '../../_base_/models/demo_space.py',
    '../../_base_/models/retinanet_demo.py',
    '../../_base_/default_runtime.py',
]
default_scope = 'mmdet'

model = dict(backbone=_base_.demo_det_supernet)
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=1e-4),
    clip_grad=dict(max_norm=35, norm_type=2))
# The finetune's 50-step warm-up (det_finetune.py): with 20 steps one of
# three adaptation seeds collapsed (training loss flat at 1.52 from epoch 2,
# reference path 0.001 mAP on the search split); with 50 all three train
# (loss 0.34-0.36 at epoch 8, search split 0.265-0.271).
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
