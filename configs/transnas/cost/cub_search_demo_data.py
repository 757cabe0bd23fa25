# `cub_search.py` with its data pointed at the bundled demo CUB files, for
# `tools/analysis/search_cost.py` only: the units are timed on the real
# config's model, input size (448), batches and pipeline, the sizes of
# CUB-200-2011 are given on the command line (docs/results/cost.md).
_base_ = ['../cub_search.py']

demo = dict(data_root='data/demo/CUB_200_2011', indices=None)
train_dataloader = dict(num_workers=0, dataset=dict(data_root=demo[
    'data_root']))
val_dataloader = dict(num_workers=0, dataset=demo)
test_dataloader = dict(num_workers=0, dataset=demo)
