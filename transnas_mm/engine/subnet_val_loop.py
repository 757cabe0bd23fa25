"""Validation of a super-network: score fixed sub-networks so users can see
the supernet learn (a supernet in eval mode is otherwise ill-defined)."""
from typing import Dict, Sequence, Union

from mmengine.runner import ValLoop

from ..models import find_supernet
from ..registry import LOOPS
from ..search import calibration_batches, evaluate, recalibrate_bn, seeded
from ..space import Arch, largest_arch, reference_arch, smallest_arch


NAMED_ARCHS = dict(reference=reference_arch, largest=largest_arch,
                   smallest=smallest_arch)


@LOOPS.register_module()
class SubnetValLoop(ValLoop):
    """Evaluate named sub-networks of the SparseSuperNet after BN
    recalibration on ``calibrate_batches`` training batches.

    The first entry of ``archs`` (default ``'reference'``: the all-
    ``mb_k3e6`` chain) reports under the evaluator's plain metric names, so
    ``save_best`` keys keep working; the others are prefixed, e.g.
    ``largest/accuracy/top1``. Entries are names (``reference``,
    ``largest``, ``smallest``) or arch dicts.
    """

    def __init__(self, runner, dataloader, evaluator, fp16: bool = False,
                 archs: Sequence[Union[str, Arch]] = ('reference', ),
                 calibrate_batches: int = 4):
        super().__init__(runner, dataloader, evaluator, fp16)
        for a in archs:
            if isinstance(a, str) and a not in NAMED_ARCHS:
                raise ValueError(f'val_cfg.archs: unknown {a!r}, expected '
                                 f'one of {list(NAMED_ARCHS)} or an arch dict')
        self.archs = list(archs)
        self.calibrate_batches = calibrate_batches

    def _calib_loader(self):
        if getattr(self, '_calib', None) is None:
            self._calib = calibration_batches(self.runner.train_dataloader,
                                              self.calibrate_batches)
        return self._calib

    def run(self) -> Dict[str, float]:
        self.runner.call_hook('before_val')
        self.runner.call_hook('before_val_epoch')
        supernet = find_supernet(self.runner.model)
        metrics: Dict[str, float] = {}
        for k, spec in enumerate(self.archs):
            arch = NAMED_ARCHS[spec](supernet.space) if isinstance(
                spec, str) else spec
            supernet.set_arch(arch)
            with seeded(0):
                recalibrate_bn(self.runner.model, self._calib_loader(),
                               self.calibrate_batches)
            result = evaluate(self.runner.model, self.dataloader,
                              self.evaluator)
            name = spec if isinstance(spec, str) else f'arch{k}'
            metrics.update(result if k == 0 else
                           {f'{name}/{key}': v for key, v in result.items()})
        supernet.set_arch(None)
        self.runner.call_hook('after_val_epoch', metrics=metrics)
        self.runner.call_hook('after_val')
        return metrics
