# `supernet_in1k.py` (the ImageNet source training, and the schedule a
# DetNAS-style pipeline retrains each target's arch with) with its data
# pointed at the bundled demo source images, for
# `tools/analysis/search_cost.py` only: the units are timed on the real
# config's model, input size (224) and batch (128), the sizes of
# ImageNet-1k are given on the command line (docs/results/cost.md).
_base_ = ['../supernet_in1k.py']

demo = dict(data_root='data/demo/source')
train_dataloader = dict(num_workers=0, dataset=demo)
val_dataloader = dict(num_workers=0, dataset=demo)
test_dataloader = dict(num_workers=0, dataset=demo)
