"""A converted MobileNetV2 costs what the original costs: forward time of
``TransNASNet(arch='mobilenet_v2')`` loaded from each library's
MobileNetV2 vs that MobileNetV2 itself, on the same input, measured side
by side in one run (alternating, median of repeats).

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


def _time(fn, x, repeats: int) -> float:
    t0 = time.perf_counter()
    for _ in range(repeats):
        fn(x)
    return (time.perf_counter() - t0) / repeats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--size', type=int, default=224)
    parser.add_argument('--rounds', type=int, default=15)
    parser.add_argument('--repeats', type=int, default=3)
    args = parser.parse_args()
    torch.set_grad_enabled(False)
    x = torch.randn(args.batch, 3, args.size, args.size)
    out = {}
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
            diff = float((conv(x)[-1] - ref).abs().max())
            times = dict(original=[], converted=[])
            for _ in range(2):  # warm-up
                orig(x), conv(x)
            for _ in range(args.rounds):
                times['original'].append(_time(orig, x, args.repeats))
                times['converted'].append(_time(conv, x, args.repeats))
            med = {k: statistics.median(v) for k, v in times.items()}
            out[lib] = dict(original_ms=round(med['original'] * 1e3, 2),
                            converted_ms=round(med['converted'] * 1e3, 2),
                            ratio=round(med['converted'] / med['original'],
                                        3),
                            max_abs_diff=diff)
            print(f'{lib:12s} converted/original forward time '
                  f'{out[lib]["ratio"]:.3f} [<= 1.05] '
                  f'({out[lib]["converted_ms"]} vs '
                  f'{out[lib]["original_ms"]} ms, batch {args.batch} x '
                  f'{args.size}px); max |diff| {diff:.1e} [<= 1e-5]')
    print(json.dumps(out))


if __name__ == '__main__':
    main()
