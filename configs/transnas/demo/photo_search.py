# Step 2 on the demo natural-image target: crops of ten photographs bundled
# in installed packages (transnas_mm/datasets/photo_target.py), 20 labelled
# crops per photograph, mmpretrain CustomDataset image folders. val (the
# search split) and test (held out, 400 crops: one crop = 0.25 points) come
# from their own grid cells of each photograph, never seen in training.
# The CUB target's recipe unchanged (adaptation, both searches, the
# finetune budget that every report row shares), on ten classes.
_base_ = ['./cub_search.py']

data_root = 'data/demo/photos/'
num_classes = 10
data_preprocessor = dict(num_classes=num_classes)
model = dict(head=dict(num_classes=num_classes))

train_dataloader = dict(dataset=dict(
    _delete_=True, type='CustomDataset', data_root=data_root,
    data_prefix='train', pipeline=_base_.train_pipeline))
val_dataloader = dict(dataset=dict(
    _delete_=True, type='CustomDataset', data_root=data_root,
    data_prefix='val', pipeline=_base_.test_pipeline))
test_dataloader = dict(dataset=dict(
    _delete_=True, type='CustomDataset', data_root=data_root,
    data_prefix='test', pipeline=_base_.test_pipeline))
