"""PreciseCocoMetric scores the images it was given: a split carved from one
json with ``indices`` (or a racing subset) is not penalised for the rest."""
import json
import os.path as osp

import pytest
import torch

from transnas_mm.evaluation import PreciseCocoMetric


def _perfect(ann_file: str, image_ids):
    """(data_batch, data_samples) of predictions equal to the ground truth."""
    doc = json.load(open(ann_file))
    cats = sorted(c['id'] for c in doc['categories'])
    samples = []
    for img in image_ids:
        anns = [a for a in doc['annotations'] if a['image_id'] == img]
        boxes = torch.tensor([[a['bbox'][0], a['bbox'][1],
                               a['bbox'][0] + a['bbox'][2],
                               a['bbox'][1] + a['bbox'][3]] for a in anns],
                             dtype=torch.float32).reshape(-1, 4)
        samples.append(dict(
            img_id=img, ori_shape=(128, 128),
            pred_instances=dict(
                bboxes=boxes, scores=torch.ones(len(anns)),
                labels=torch.tensor([cats.index(a['category_id'])
                                     for a in anns], dtype=torch.long))))
    return samples


@pytest.mark.parametrize('fraction', [1.0, 0.5])
def test_a_subset_of_the_json_scores_like_its_own_json(demo_root, fraction):
    ann = osp.join(demo_root, 'coco', 'annotations', 'instances_val.json')
    doc = json.load(open(ann))
    ids = sorted(i['id'] for i in doc['images'])
    ids = ids[:int(len(ids) * fraction)]
    metric = PreciseCocoMetric(ann_file=ann, metric='bbox')
    metric.dataset_meta = dict(classes=tuple(
        c['name'] for c in sorted(doc['categories'],
                                  key=lambda c: c['id'])))
    metric.process({}, _perfect(ann, ids))
    result = metric.evaluate(len(ids))
    # perfect boxes on the evaluated images: 1.0, not ~fraction
    assert result['coco/bbox_mAP'] == pytest.approx(1.0)
