"""Convert a pretrained MobileNetV2 1.0 checkpoint (mmpretrain's, e.g. from
``mim download mmpretrain --config mobilenet-v2_8xb32_in1k``, or
torchvision's ``mobilenet_v2`` state dict) for transnas_mm::

    python tools/convert/mobilenet_v2.py MBV2.pth supernet_init.pth --to supernet
    python tools/convert/mobilenet_v2.py MBV2.pth mbv2_transnas.pth --to transnas

``tools/convert/pretrained.py`` restricted to MobileNetV2: any other
checkpoint is refused, naming what it is.
"""
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from pretrained import main  # noqa: E402

if __name__ == '__main__':
    main(preset='mobilenet_v2')
