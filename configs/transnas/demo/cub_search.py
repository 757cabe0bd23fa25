# Step 2 on the demo CUB target: adapt the source SparseSuperNet on target
# data for `max_epochs`, then ArchSearchHook searches the architecture
# (fitness: the hooks' default, accuracy/top1 on the val split after a
# 180-step proxy finetune of each candidate and BN recalibration) and
# WeightSearchHook the starting weights (scored the same way). Restarting
# the same command continues (resume=True; search state saved after every
# generation in work_dir/search/).
_base_ = [
    './cub_supernet.py',
    '../../_base_/search/demo_search.py',
]

# 20 labelled images per class: small batches, more epochs (iterations are
# what count). The finetune budget below is shared by every report row.
train_dataloader = dict(batch_size=16)
train_cfg = dict(by_epoch=True, max_epochs=20, val_interval=20)
param_scheduler = dict(type='CosineAnnealingLR', by_epoch=True, T_max=20)
default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=1))
finetune_epochs = 45
# What both search hooks share (the objective and its calibration).
search_common = dict(metric_key='accuracy/top1', input_shape=(3, 48, 48),
                     calibrate_batches=4, seed=0)
custom_hooks = [
    dict(
        type='transnas_mm.ArchSearchHook',
        **search_common,
        search=dict(population=10, generations=2, top_k=5,
                    mutation_prob=0.2, num_mutation=5, num_crossover=5),
        # as on detection: each later generation evaluates the predicted
        # better half of its children (every candidate pays a proxy
        # finetune now), and two generations (15 candidates; four cost
        # 1.6x as much and found no better: "Fewer candidates" in
        # docs/results/search_fitness.md)
        predictor=dict(keep=0.5)),
    dict(
        **_base_.demo_weight_search,
        **search_common,
        finetune={
            'train_cfg': dict(by_epoch=True, max_epochs=finetune_epochs,
                              val_interval=finetune_epochs),
            'param_scheduler': dict(type='CosineAnnealingLR', by_epoch=True,
                                    T_max=finetune_epochs),
            'default_hooks.checkpoint.interval': finetune_epochs,
        }),
]
resume = True
