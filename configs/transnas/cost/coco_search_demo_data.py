# `coco_search.py` with its data pointed at the bundled demo COCO files, for
# `tools/analysis/search_cost.py` only: the units are timed on the real
# config's model, input size, batches and pipeline, the sizes of COCO 2017
# are given on the command line (docs/results/cost.md).
_base_ = ['../coco_search.py']

demo_root = 'data/demo/coco/'
demo_classes = dict(classes=('5', '6', '7', '8', '9'))


def _split(split: str) -> dict:
    return dict(data_root=demo_root, metainfo=demo_classes,
                ann_file=f'annotations/instances_{split}.json',
                data_prefix=dict(img=f'{split}/'))


train_dataloader = dict(num_workers=0, persistent_workers=False,
                        dataset=_split('train'))
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(_split('val'), indices=None))
test_dataloader = dict(num_workers=0, persistent_workers=False,
                       dataset=dict(_split('test'), indices=None))
val_evaluator = dict(ann_file=demo_root + 'annotations/instances_val.json')
test_evaluator = dict(ann_file=demo_root + 'annotations/instances_test.json')
