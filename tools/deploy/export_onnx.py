"""Export a TransNASNet backbone, or a whole mmpretrain classifier built
from a config, to ONNX; checked with onnx.checker and against PyTorch
(onnxruntime) on a test input.

    python tools/deploy/export_onnx.py --arch ARCH.json --weights subnet.pth \
        --shape 1 3 224 224 --out backbone.onnx
    python tools/deploy/export_onnx.py --config finetune.py \
        --checkpoint epoch_12.pth --shape 1 3 224 224 --out model.onnx
"""
import argparse
import inspect
from typing import Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn

import transnas_mm  # noqa: F401  (registries, checkpoint compat)


class _Classifier(nn.Module):
    """Tensor-in, scores-out view of an mmpretrain ImageClassifier."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x, mode='tensor')


def build_backbone(arch: str, weights: str, out_indices: Sequence[int]
                   ) -> nn.Module:
    from transnas_mm import TransNASNet
    net = TransNASNet(arch=arch, out_indices=tuple(out_indices))
    if weights:
        # one line naming the file and the first tensor of another arch or
        # space, not torch's multi-line "Error(s) in loading state_dict"
        net.load_pretrained(weights)
    return net.eval()


def build_classifier(config: str, checkpoint: str) -> nn.Module:
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.runner import load_checkpoint
    cfg = Config.fromfile(config)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    from mmpretrain.registry import MODELS
    model = MODELS.build(cfg.model)
    if checkpoint:
        load_checkpoint(model, checkpoint, map_location='cpu')
    return _Classifier(model.eval()).eval()


def export(model: nn.Module, shape: Tuple[int, ...], out: str,
           opset: int = 17) -> float:
    """Write ``out``; return max |onnxruntime - torch| on a seeded input."""
    import onnx
    import onnxruntime as ort
    x = torch.randn(*shape, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        ref = model(x)
    refs = list(ref) if isinstance(ref, (tuple, list)) else [ref]
    names = [f'out{i}' for i in range(len(refs))]
    # the TorchScript exporter: the default before torch 2.9, which
    # takes no `dynamo` argument before 2.5
    legacy = {'dynamo': False} if 'dynamo' in inspect.signature(
        torch.onnx.export).parameters else {}
    torch.onnx.export(model, (x, ), out, input_names=['input'],
                      output_names=names, opset_version=opset, **legacy)
    onnx.checker.check_model(onnx.load(out))
    sess = ort.InferenceSession(out, providers=['CPUExecutionProvider'])
    got = sess.run(None, {'input': x.numpy()})
    return max(float(np.abs(g - r.numpy()).max()) for g, r in zip(got, refs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--arch', help='arch.json (backbone export)')
    parser.add_argument('--weights', default='', help='subnet.pth')
    parser.add_argument('--out-indices', type=int, nargs='+', default=[-1])
    parser.add_argument('--config', help='classifier config (whole model)')
    parser.add_argument('--checkpoint', default='')
    parser.add_argument('--shape', type=int, nargs=4,
                        default=[1, 3, 224, 224])
    parser.add_argument('--out', required=True)
    parser.add_argument('--atol', type=float, default=1e-4)
    args = parser.parse_args()
    if bool(args.arch) == bool(args.config):
        parser.error('give exactly one of --arch or --config')
    try:
        model = build_backbone(args.arch, args.weights, args.out_indices) \
            if args.arch else build_classifier(args.config, args.checkpoint)
    except (ValueError, FileNotFoundError) as e:
        raise SystemExit(f'export_onnx: {e}') from None
    diff = export(model, tuple(args.shape), args.out)
    print(f'wrote {args.out}: onnx.checker ok, max |onnxruntime - torch| = '
          f'{diff:.2e}')
    if diff > args.atol:
        raise SystemExit(f'{args.out}: outputs differ from PyTorch by '
                         f'{diff:.2e} > --atol {args.atol}')


if __name__ == '__main__':
    main()
