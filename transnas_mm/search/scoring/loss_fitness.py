"""A fitness that needs no search-split evaluation: minus the mean training
loss of the candidate's own proxy finetune (how fast it learns the target
from the weights it starts with; a training-speed estimate in the spirit
of Ru et al., NeurIPS 2021). No BN recalibration, no evaluation: the
search split is not read, so its size cannot add noise; the noise is that
of the proxy batches, measured on other draws of them."""
import copy
import math
import time
from typing import Callable, Optional, Sequence

from ..core.candidate import Candidate
from .fitness import SubnetScorer
from .outcome import mark_failed, score_spread
from .proxy import ProxyFinetune


class ProxyLossScorer(SubnetScorer):
    """``score(cand, proxy)``: ``prepare(cand)``, ``proxy(cand)``, score =
    minus the proxy run's mean training loss. ``noise_batches``: other
    draws of the proxy batches (the noise is measured on them)."""

    def __init__(self, *args, noise_batches: Sequence = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.noise_batches = list(noise_batches)

    def score(self, cand: Candidate, before_eval: Optional[Callable] = None,
              bars=None) -> Candidate:
        t0 = time.perf_counter()
        try:
            if not isinstance(before_eval, ProxyFinetune):
                raise TypeError('the loss fitness needs a proxy finetune')
            self.prepare(cand)
            before_eval(cand)
            loss = before_eval.loss_sum / max(before_eval.iters, 1)
            if not math.isfinite(loss):
                raise FloatingPointError(f'proxy training loss is {loss}')
            cand.metrics = dict(proxy_loss=loss)
            cand.score, cand.status, cand.reason = -loss, 'ok', ''
            cand.images = 0
        except Exception as e:  # noqa: BLE001  a failing candidate is data
            mark_failed(cand, e)
        cand.seconds = time.perf_counter() - t0
        self.timing['total'] += cand.seconds
        return cand

    def noise(self, cand: Candidate, calib_loaders: Sequence,
              before_eval: Optional[Callable] = None) -> float:
        """The std of ``cand``'s score over its own proxy batches and the
        other draws (``calib_loaders`` are not used: nothing is
        recalibrated)."""
        if not isinstance(before_eval, ProxyFinetune):
            return math.nan
        scores = [cand.score]
        for batches in self.noise_batches:
            other = ProxyFinetune(before_eval.model, batches,
                                  before_eval.iters, before_eval.lr,
                                  before_eval.seed, before_eval.schedule)
            scores.append(self.score(copy.deepcopy(cand), other).score)
        return score_spread(scores)
