# The finetune the detection demo targets write into finetune.py: every
# report row (scratch, finetune, static, searched) trains with it.
det_finetune_epochs = 18
det_finetune = {
    'train_cfg': dict(type='EpochBasedTrainLoop',
                      max_epochs=det_finetune_epochs,
                      val_interval=det_finetune_epochs),
    'param_scheduler': [
        dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0,
             end=50),
        dict(type='CosineAnnealingLR', by_epoch=True,
             T_max=det_finetune_epochs, begin=0, end=det_finetune_epochs),
    ],
    'default_hooks.checkpoint.interval': det_finetune_epochs,
    # the rows' lr, whatever the adaptation before the search used
    'optim_wrapper.optimizer.lr': 0.02,
}
