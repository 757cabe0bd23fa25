# The demo source super-network started from the static network (the hand
# chain trained alone on the same source: static_source.py), the way a
# user starts from the MobileNetV2 they have: the reference ops and the
# head load its weights, every other op is seeded from them after the
# first step (kernel zero-padded, channels sliced), then paths are sampled
# for half the from-scratch schedule.
#   python tools/train.py configs/transnas/demo/supernet_from_static.py \
#       --cfg-options model.backbone.init_cfg.checkpoint=STATIC.pth \
#       model.head.init_cfg.checkpoint=STATIC.pth
# (tools/run_demo.py --seeded-source does this after the static row's
# training)
_base_ = ['./supernet_source.py']

static_checkpoint = 'work_dirs/demo/static_source/epoch_18.pth'
model = dict(
    backbone=dict(
        warmup_iters=1,  # one reference step, then seed and sample
        init_cfg=dict(type='Pretrained', checkpoint=static_checkpoint,
                      prefix='backbone.')),
    head=dict(init_cfg=dict(type='Pretrained', checkpoint=static_checkpoint,
                            prefix='head.')))
source_epochs = 9  # half of the from-scratch supernet's
param_scheduler = [
    _base_.param_scheduler[0],  # the same linear warm-up
    dict(type='CosineAnnealingLR', by_epoch=True, T_max=source_epochs,
         begin=0, end=source_epochs),
]
train_cfg = dict(by_epoch=True, max_epochs=source_epochs,
                 val_interval=source_epochs)
default_hooks = dict(checkpoint=dict(interval=3, max_keep_ckpts=1))
