"""Fresh heads for the arch search's proxy finetunes (head_start): what is
re-drawn, what is kept, and the choice between the two starts."""
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from conftest import CONFIGS, one_line
from transnas_mm.hooks import ArchSearchHook
from transnas_mm.search.scoring.head_start import (describe, fresh_heads,
                                                   pick_heads)


def _faster_rcnn():
    cfg = Config.fromfile(f'{CONFIGS}/transnas/demo/'
                          'faster_rcnn_supernet_coco.py')
    cfg.model.backbone.pop('init_cfg', None)
    init_default_scope('mmdet')
    from mmdet.registry import MODELS
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model


def _state(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


def test_fresh_heads_redraw_neck_and_heads_only_and_by_the_seed():
    model = _faster_rcnn()
    with torch.no_grad():  # an "adapted" model: every weight moved
        for p in model.parameters():
            p.add_(0.5)
    adapted = _state(model)
    fresh_heads(model, seed=3)
    once = _state(model)
    for key, value in adapted.items():
        same = once[key].equal(value)
        if key.startswith('backbone.'):
            assert same, key
        elif key.endswith('weight') and value.dim() > 1:
            assert not same, key  # a weight the init draws
    # the model's own init: mmdet's RPN conv is Normal(0, 0.01)
    assert once['rpn_head.rpn_conv.weight'].std() < 0.02
    model.load_state_dict(adapted)
    fresh_heads(model, seed=3)
    assert all(v.equal(once[k]) for k, v in _state(model).items())
    fresh_heads(model, seed=4)
    assert not model.state_dict()['roi_head.bbox_head.fc_cls.weight'].equal(
        once['roi_head.bbox_head.fc_cls.weight'])


def test_choice_keeps_the_adapted_heads_unless_fresh_ones_beat_them():
    assert pick_heads(dict(adapted=0.05, fresh=0.33)) == 'fresh'
    assert pick_heads(dict(adapted=0.30, fresh=0.30)) == 'adapted'
    assert pick_heads(dict(adapted=None, fresh=0.1)) == 'fresh'
    assert pick_heads(dict(adapted=0.2, fresh=None)) == 'adapted'
    assert describe(None) == 'the adapted heads'
    assert describe(dict(picked='fresh', search_split=dict(
        adapted=None, fresh=0.25))) == (
        'the fresh heads (reference arch after the proxy: adapted failed, '
        'fresh 0.2500)')


def test_head_start_is_checked_when_the_hook_is_built():
    with pytest.raises(ValueError) as err:
        ArchSearchHook('coco/bbox_mAP', head_start='new')
    one_line(err, 'ArchSearchHook: head_start', "'adapted'")
    with pytest.raises(ValueError) as err:
        ArchSearchHook('coco/bbox_mAP', head_start='auto',
                       fitness='inherited')
    one_line(err, "head_start='auto'", "fitness='proxy'")


def test_head_start_default_is_auto_where_candidates_are_finetuned():
    """None (the default): the choice where the proxy trains the heads;
    the adapted heads with the inherited-weights fitness, where nothing
    could train fresh ones (explicit 'auto' is refused there, above)."""
    assert ArchSearchHook('coco/bbox_mAP').job.head_start == 'auto'
    assert ArchSearchHook('coco/bbox_mAP',
                          fitness='inherited').job.head_start == 'adapted'


def test_the_choice_score_stands_in_only_where_the_loop_scores_alike():
    """The reference arch takes the choice's score (once, that arch only);
    not with a ladder, a shared proxy or racing, whose first score is not
    one full proxy's."""
    from transnas_mm.search.core.candidate import Candidate
    from transnas_mm.space import build_space, reference_arch, sample_arch
    import numpy as np
    space = build_space(stages=[(3, 24, 2)],
                        candidates=['mb_k3e3', 'mb_k5e6', 'skip'],
                        stem_channels=16)
    ref = reference_arch(space)
    job = ArchSearchHook('accuracy/top1').job
    job.heads = dict(picked='fresh', candidates=dict(
        adapted=Candidate(ref, 0, 0, -1, score=50.0).to_dict(),
        fresh=Candidate(ref, 0, 0, -1, score=60.0, seconds=9.0,
                        images=48).to_dict()))

    class Scorer:
        racing = None

        def __init__(self):
            self.scored = []

        def score(self, cand, before_eval=None):
            self.scored.append(cand.key)
            cand.score = 1.0
            return cand

    scorer = Scorer()
    other = sample_arch(space, np.random.default_rng(1))
    assert other != ref
    pre = job.prescored(scorer, space, None, None)
    cands = [Candidate(ref, 5, 6, 0), Candidate(other, 5, 6, 0),
             Candidate(ref, 5, 6, 1)]
    for c in cands:
        pre.score(c)
    assert [(c.score, c.seconds, c.images, c.flops, c.generation)
            for c in cands[:1]] == [(60.0, 9.0, 48, 5, 0)]
    assert [c.score for c in cands[1:]] == [1.0, 1.0]
    assert scorer.scored == [cands[1].key, cands[2].key]
    assert job.prescored(scorer, space, object(), None) is scorer
    assert job.prescored(scorer, space, None, object()) is scorer
    job.scoring.race.on = True
    assert job.prescored(scorer, space, None, None) is scorer
    job.heads = dict(picked='adapted', search_split=dict(adapted=1.0))
    job.scoring.race.on = False
    assert job.prescored(scorer, space, None, None) is scorer  # older file
