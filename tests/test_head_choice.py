"""NAS + NWS's choice between the adapted heads and fresh ones: the rule
and the fresh start it finetunes (the pipeline test runs both through the
real Runner)."""
import os

import pytest
import torch

from transnas_mm.apis import export_backbone_checkpoint
from transnas_mm.comparison.head_choice import pick_heads


def test_fresh_heads_are_kept_only_when_better_on_the_search_split():
    assert pick_heads(dict(adapted=0.07, fresh=0.41)) == 'fresh'
    assert pick_heads(dict(adapted=0.52, fresh=0.49)) == 'adapted'
    assert pick_heads(dict(adapted=0.3, fresh=0.3)) == 'adapted'  # a tie
    # a start whose metric is missing never wins
    assert pick_heads(dict(adapted=None, fresh=0.1)) == 'fresh'
    assert pick_heads(dict(adapted=0.1, fresh=None)) == 'adapted'


def test_backbone_checkpoint_keeps_the_backbone_and_nothing_else(tmp_path):
    state = {'backbone.conv.weight': torch.randn(4, 3, 3, 3),
             'backbone.bn.running_mean': torch.randn(4),
             'neck.conv.weight': torch.randn(8, 4, 1, 1),
             'roi_head.bbox_head.fc_cls.weight': torch.randn(6, 8)}
    src = str(tmp_path / 'subnet_model.pth')
    torch.save(dict(state_dict=state, meta=dict(arch='a')), src)
    out = export_backbone_checkpoint(src, str(tmp_path / 'fresh.pth'))
    ckpt = torch.load(out, weights_only=True)
    assert set(ckpt['state_dict']) == {'backbone.conv.weight',
                                       'backbone.bn.running_mean'}
    for k, v in ckpt['state_dict'].items():
        assert torch.equal(v, state[k])
    assert ckpt['meta']['arch'] == 'a' and ckpt['meta']['source'] == src


def test_backbone_checkpoint_refuses_a_checkpoint_without_one(tmp_path):
    src = str(tmp_path / 'head_only.pth')
    torch.save(dict(state_dict={'head.fc.weight': torch.randn(2, 2)}), src)
    out = tmp_path / 'fresh.pth'
    with pytest.raises(ValueError, match=r"head_only\.pth: state_dict: no "
                       r"'backbone\.' tensors"):
        export_backbone_checkpoint(src, str(out))
    assert os.listdir(tmp_path) == ['head_only.pth']  # nothing written
