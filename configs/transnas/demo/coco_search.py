# Step 2 on the demo detection target (COCO json): adapt the source
# SparseSuperNet inside RetinaNet + FPN, then ArchSearchHook (fitness:
# coco/bbox_mAP on the val split after BN recalibration).
_base_ = ['./retinanet_supernet_coco.py']

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=8, val_interval=8)
default_hooks = dict(checkpoint=dict(interval=4, max_keep_ckpts=1))
custom_hooks = [
    dict(
        type='transnas_mm.ArchSearchHook',
        metric_key='coco/bbox_mAP',
        population=8,
        generations=3,
        top_k=4,
        mutation_prob=0.2,
        num_mutation=4,
        num_crossover=4,
        input_shape=(3, 128, 128),
        calibrate_batches=4,
        seed=0),
    dict(
        type='transnas_mm.WeightSearchHook',
        metric_key='coco/bbox_mAP',
        mode='greedy',
        input_shape=(3, 128, 128),
        calibrate_batches=4,
        heldout=True,
        seed=0),
]
resume = True
