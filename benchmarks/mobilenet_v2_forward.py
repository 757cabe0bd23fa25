"""A converted MobileNetV2 costs what the original costs: forward time of
``TransNASNet(arch='mobilenet_v2')`` loaded from each library's
MobileNetV2 vs that MobileNetV2 itself, on the same input, measured side
by side in one run (single forwards in ABBA order, medians).

Prints per library the ratio converted / original [goal <= 1.05] and the
largest feature difference (must be <= 1e-5)."""
import argparse
import json
import os.path as osp
import statistics
import tempfile
import time

import torch

import transnas_mm  # noqa: F401
from transnas_mm import TransNASNet


def _originals():
    from mmpretrain.models.backbones import MobileNetV2
    from torchvision.models import mobilenet_v2
    torch.manual_seed(0)
    mm = MobileNetV2(widen_factor=1.0, out_indices=(7, ))
    mm.init_weights()
    tv = mobilenet_v2(weights=None).features
    return dict(mmpretrain=(mm, mm.state_dict()),
                torchvision=(tv, {'features.' + k: v
                                  for k, v in tv.state_dict().items()}))


def _time(fn, x) -> float:
    t0 = time.perf_counter()
    fn(x)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--size', type=int, default=224)
    parser.add_argument('--rounds', type=int, default=60)
    args = parser.parse_args()
    torch.set_grad_enabled(False)
    x = torch.randn(args.batch, 3, args.size, args.size)
    nets, diffs = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for lib, (orig, state) in _originals().items():
            path = osp.join(tmp, f'{lib}.pth')
            torch.save(state, path)
            conv = TransNASNet(arch='mobilenet_v2', out_indices=(6, ))
            conv.load_pretrained(path)
            orig.eval()
            conv.eval()
            ref = orig(x)
            ref = ref[-1] if isinstance(ref, tuple) else ref
            diffs[lib] = float((conv(x)[-1] - ref).abs().max())
            nets[(lib, 'original')] = orig
            nets[(lib, 'converted')] = conv
    # All four networks in one loop, the order rotated every round, so
    # load drifts hit each alike; medians of single forwards.
    order = list(nets)
    times = {k: [] for k in order}
    for net in nets.values():  # warm-up
        net(x)
    for r in range(args.rounds):
        for k in order[r % 4:] + order[:r % 4]:
            times[k].append(_time(nets[k], x))
    med = {k: statistics.median(v) for k, v in times.items()}
    out = {}
    for lib in diffs:
        o, c = med[(lib, 'original')], med[(lib, 'converted')]
        out[lib] = dict(original_ms=round(o * 1e3, 2),
                        converted_ms=round(c * 1e3, 2),
                        ratio=round(c / o, 3), max_abs_diff=diffs[lib])
        print(f'{lib:12s} converted/original forward time {c / o:.3f} '
              f'[<= 1.05] ({c * 1e3:.1f} vs {o * 1e3:.1f} ms, batch '
              f'{args.batch} x {args.size}px, median of {args.rounds}); '
              f'max |diff| {diffs[lib]:.1e} [<= 1e-5]')
    print(json.dumps(out))


if __name__ == '__main__':
    main()
