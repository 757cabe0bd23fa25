# The DetNAS-style row's source step: one arch (model.backbone.arch, the
# arch.json a target's search found) trained alone on the demo source with
# the static network's recipe and budget (static_source.py: the same data,
# schedule, optimiser and epochs), as pipelines that retrain the found
# arch on the source for every target pay:
#   python tools/train.py configs/transnas/demo/retrain_source.py \
#       --cfg-options model.backbone.arch=work_dirs/demo/cub/search/search/arch.json
_base_ = ['./supernet_source.py']

# default: the demo's hand chain (hand_arch.json), i.e. the static network
model = dict(backbone=dict(_delete_=True, type='transnas_mm.TransNASNet',
                           arch='configs/transnas/demo/hand_arch.json',
                           out_indices=(3, )))
val_cfg = dict(_delete_=True, type='ValLoop')
