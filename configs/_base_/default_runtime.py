# Runtime shared by the mmdet- and mmpretrain-scoped configs; each config
# sets its own default_scope.
custom_imports = dict(imports=['transnas_mm'], allow_failed_imports=False)
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=10),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # CheckpointHook with crash-safe rotation (write, rename, then delete)
    checkpoint=dict(type='transnas_mm.AtomicCheckpointHook', interval=1,
                    max_keep_ckpts=2),
    sampler_seed=dict(type='DistSamplerSeedHook'),
)
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)
vis_backends = [dict(type='LocalVisBackend')]
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, deterministic=False)
