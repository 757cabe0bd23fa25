"""The installed stack: mmcv with compiled ops beside current torch."""
import torch


def test_stack_imports_and_mmcv_ops_run():
    import mmdet
    import mmpretrain
    from mmcv.ops import RoIAlign, nms

    import transnas_mm
    assert mmdet.__version__ == '3.3.0'
    assert mmpretrain.__version__ == '1.2.0'
    assert transnas_mm.__version__
    boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.],
                          [20., 20., 30., 30.]])
    _, keep = nms(boxes, torch.tensor([0.9, 0.8, 0.7]), 0.5)
    assert keep.tolist() == [0, 2]
    feats = torch.arange(64.).reshape(1, 1, 8, 8)
    rois = torch.tensor([[0., 0., 0., 4., 4.]])
    out = RoIAlign((2, 2), spatial_scale=1.0, sampling_ratio=2)(feats, rois)
    assert out.shape == (1, 1, 2, 2)
    # mean of the top-left 4x4 window region, bilinearly sampled
    assert 0 < out.mean().item() < 30
