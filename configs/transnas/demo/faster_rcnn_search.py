# Step 2 on the demo detection target with a two-stage detector: Faster
# R-CNN + FPN (RoIAlign from mmcv ops) around the same source SparseSuperNet,
# the same adaptation, searches and finetune budget as coco_search.py
# (RetinaNet). Six report rows for it:
#   python tools/run_demo.py --target-config \
#       configs/transnas/demo/faster_rcnn_search.py --source SOURCE.pth
_base_ = ['./faster_rcnn_supernet_coco.py']

# Adaptation on the reference path only (see coco_search.py for why).
model = dict(backbone=dict(warmup_iters=152, warmup_reseed=False))
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=8, val_interval=8)
default_hooks = dict(checkpoint=dict(interval=4, max_keep_ckpts=1))
finetune_epochs = 18
search_common = dict(metric_key='coco/bbox_mAP', input_shape=(3, 128, 128),
                     calibrate_batches=4, seed=0)
custom_hooks = [
    dict(type='transnas_mm.ArchSearchHook', **search_common, population=8,
         generations=3, top_k=4, mutation_prob=0.2, num_mutation=4,
         num_crossover=4),
    dict(type='transnas_mm.WeightSearchHook', **search_common,
         mode='evolution', racing=True, population=4, generations=2,
         top_k=2, heldout=True,
         finetune={
             'train_cfg': dict(type='EpochBasedTrainLoop',
                               max_epochs=finetune_epochs,
                               val_interval=finetune_epochs),
             'param_scheduler': [
                 dict(type='LinearLR', start_factor=0.1, by_epoch=False,
                      begin=0, end=50),
                 dict(type='CosineAnnealingLR', by_epoch=True,
                      T_max=finetune_epochs, begin=0, end=finetune_epochs),
             ],
             'default_hooks.checkpoint.interval': finetune_epochs,
         }),
]
resume = True
