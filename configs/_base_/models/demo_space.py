# The CPU demo search space: 10 searchable layers, outputs at strides
# 4/8/16/32 (stage indices 0..3). Source and target configs share it, so the
# source checkpoint loads into every target's SparseSuperNet.
demo_space = dict(
    stages=[(2, 24, 2), (3, 32, 2), (3, 64, 2), (2, 96, 2)],
    candidates=['mb_k3e3', 'mb_k3e6', 'mb_k5e3', 'mb_k5e6', 'skip'],
    max_extra_edges=2,
    edge_drop_prob=0.5,
    edge_seed=0,
    widen_factor=1.0,
    stem_channels=16)

# Where tools/run_demo.sh publishes the source super-network; target configs
# load their SparseSuperNet from it (override with --cfg-options
# model.backbone.init_cfg.checkpoint=...).
source_checkpoint = 'work_dirs/demo/supernet_source.pth'
demo_det_supernet = dict(
    type='transnas_mm.SparseSuperNet',
    out_indices=(0, 1, 2, 3),
    init_cfg=dict(
        type='Pretrained', checkpoint=source_checkpoint, prefix='backbone.'),
    **demo_space)
demo_cls_supernet = dict(
    type='transnas_mm.SparseSuperNet',
    out_indices=(3, ),
    init_cfg=dict(
        type='Pretrained', checkpoint=source_checkpoint, prefix='backbone.'),
    **demo_space)
