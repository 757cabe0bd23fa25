"""Named search spaces, each with a pretrained network as its hand chain
(``transnas_mm.models.pretrained`` converts its checkpoints).

``mobilenet_v2``: its hand chain is, layer for
layer, MobileNetV2 1.0 (Sandler et al. 2018; mmpretrain's ``MobileNetV2``
and torchvision's ``mobilenet_v2``): a 32-channel stem, the t=1 block, 16
t=6 blocks (17 inverted residuals) at the paper's widths and strides, and
the final 1x1 conv to 1280 channels. So a pretrained MobileNetV2 converts
exactly into the hand chain (``transnas_mm.models.mobilenet_v2``), and the
super-network can start from it.

``efficientnet_lite0``: its hand chain is EfficientNet-Lite0 (Tan & Le
2019; no squeeze-excite, ReLU6, fixed stem and head): 16 inverted
residuals with kernels 3 and 5, TensorFlow 'SAME' padding and BatchNorm
epsilon 1e-3 as its ImageNet checkpoint was trained; inputs normalised as
(x - 127) / 128."""
from typing import Any, Dict

from .ops import DEFAULT_CANDIDATES

# The t=1 block has no expand conv (32 -> 16, stride 1): its layer searches
# the depthwise kernel only; the first candidate is the hand chain's op.
MOBILENET_V2: Dict[str, Any] = dict(
    stages=((1, 16, 1, ('mb_k3e1', 'mb_k5e1', 'mb_k7e1')), (2, 24, 2),
            (3, 32, 2), (4, 64, 2), (3, 96, 1), (3, 160, 2), (1, 320, 1)),
    candidates=DEFAULT_CANDIDATES, stem_channels=32, last_channels=1280)

# Stages as the Lite0 builder lists them (repeats, out, stride); the hand
# chain's op per stage (kernel, expansion) is ``reference_ops``.
EFFICIENTNET_LITE0: Dict[str, Any] = dict(
    stages=((1, 16, 1, ('mb_k3e1', 'mb_k5e1', 'mb_k7e1')), (2, 24, 2),
            (2, 40, 2), (3, 80, 2), (3, 112, 1), (4, 192, 2), (1, 320, 1)),
    candidates=DEFAULT_CANDIDATES, stem_channels=32, last_channels=1280,
    same_padding=True, bn_eps=1e-3,
    reference_ops=('mb_k3e1', 'mb_k3e6', 'mb_k5e6', 'mb_k3e6', 'mb_k5e6',
                   'mb_k5e6', 'mb_k3e6'))

PRESETS: Dict[str, Dict[str, Any]] = dict(
    mobilenet_v2=MOBILENET_V2, efficientnet_lite0=EFFICIENTNET_LITE0)
# How a preset's pretrained network normalises its input (mmpretrain
# data_preprocessor mean/std, RGB).
PRESET_INPUT_NORM: Dict[str, Dict[str, Any]] = dict(
    mobilenet_v2=dict(mean=[123.675, 116.28, 103.53],
                      std=[58.395, 57.12, 57.375]),
    efficientnet_lite0=dict(mean=[127.0, 127.0, 127.0],
                            std=[128.0, 128.0, 128.0]))


def space_preset(name: str) -> Dict[str, Any]:
    """The space config values of a preset (a copy)."""
    if name not in PRESETS:
        raise ValueError(f'preset: {name!r} is not a space preset; expected '
                         f'one of {sorted(PRESETS)}')
    return dict(PRESETS[name])
