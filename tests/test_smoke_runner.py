"""Real mmdet / mmpretrain models train and evaluate on the demo data
through MMEngine's Runner (the templates of all later configs)."""
import json
import os.path as osp

from mmengine.runner import Runner

from conftest import demo_cfg


def _counted_over(acc: float, n: int) -> bool:
    """``acc`` (percent) is k/n for a whole k: computed over all n images."""
    return abs(acc * n / 100 - round(acc * n / 100)) < 1e-6


def _scalars(work_dir: str) -> list:
    from glob import glob
    [path] = glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    with open(path) as f:
        return [json.loads(line) for line in f]


def test_mmpretrain_classifier_trains_and_reports_accuracy(demo_root,
                                                           tmp_path):
    cfg = demo_cfg('transnas/demo/smoke_cls_source.py', demo_root,
                   str(tmp_path), options={
                       'train_dataloader.dataset.indices': 96,
                       'train_cfg.max_epochs': 1})
    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = runner.val_loop.run()
    assert 0.0 <= metrics['accuracy/top1'] <= 100.0
    assert _counted_over(metrics['accuracy/top1'],
                         len(runner.val_dataloader.dataset))
    losses = [r['loss'] for r in _scalars(str(tmp_path)) if 'loss' in r]
    assert len(losses) == 3 and all(v == v for v in losses)


def test_mmdet_retinanet_fpn_trains_and_reports_coco_map(demo_root,
                                                         tmp_path):
    cfg = demo_cfg('transnas/demo/smoke_retinanet_coco.py', demo_root,
                   str(tmp_path), options={
                       'train_dataloader.dataset.indices': 16,
                       'val_dataloader.dataset.indices': 8,
                       'train_cfg.max_epochs': 1,
                       # 2 iterations: keep every box so CocoMetric scores
                       'model.test_cfg.score_thr': 0.0})
    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = runner.val_loop.run()
    # -1 would mean no ground truth was matched to the images
    assert 0.0 <= metrics['coco/bbox_mAP'] <= metrics['coco/bbox_mAP_50'] \
        <= 1.0
    assert osp.isfile(osp.join(str(tmp_path), 'epoch_1.pth'))


def test_cub_layout_trains_through_mmpretrain_cub(demo_root, tmp_path):
    cfg = demo_cfg('transnas/demo/smoke_cls_cub.py', demo_root,
                   str(tmp_path), options={
                       'train_dataloader.dataset.indices': 64,
                       'val_dataloader.dataset.indices': 64,
                       'train_cfg.max_epochs': 1})
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert type(runner.train_dataloader.dataset).__name__ == 'CUB'
    acc = runner.val_loop.run()['accuracy/top1']
    assert 0.0 <= acc <= 100.0 and _counted_over(acc, 64)
