"""The one place where a search's scoring settings become what it scores
with: the scorer (the search-split metric, racing as configured), the
proxy finetune, its ladder, shared proxy runs, and the fixed
training-batch draws they use. Both searches, the head choice, the rerank
and the rank study build their scorers here, so a candidate is scored the
same way wherever it is scored."""
from typing import Any, Callable, List, Optional

from ..core.candidate import Candidate
from .calibrate import calibration_batches
from .fitness import SubnetScorer
from .ladder import Ladder
from .proxy import ProxyFinetune
from .racing import Racing
from .shared_proxy import SharedProxy

# Seed offsets of the fixed training-batch draws: calibration is ``seed``,
# the noise draws ``seed + 1 ..``, the proxy finetune ``seed + PROXY``
# (apart from every noise draw, so a proxy step never trains on the
# batches a noise draw recalibrates on).
PROXY = 100


class ScorerFactory:
    """``scoring`` (a :class:`~..settings.Scoring`) and ``proxy`` (a
    :class:`~..settings.Proxy` or None) applied to ``ctx`` (a
    :class:`~..job.SearchContext`: the model, loaders and evaluator)."""

    def __init__(self, scoring: Any, proxy: Any, ctx: Any):
        self.scoring = scoring
        self.proxy = proxy
        self.ctx = ctx

    def batches(self, num: int, offset: int = 0):
        """``num`` fixed training batches drawn with ``seed + offset``."""
        return calibration_batches(self.ctx.train_loader, num,
                                   self.scoring.seed + offset)

    def noise_batches(self) -> List:
        """The other calibration draws the score noise is measured on."""
        return [self.batches(self.scoring.calibrate_batches, 1 + k)
                for k in range(self.scoring.noise_repeats)]

    def scorer(self, prepare: Callable[[Candidate], None], calib=None,
               racing: bool = True) -> SubnetScorer:
        """Fitness on the search split, racing as configured."""
        s, ctx = self.scoring, self.ctx
        scorer = SubnetScorer(
            ctx.model, prepare, calib if calib is not None else self.batches(
                s.calibrate_batches),
            s.calibrate_batches, ctx.val_loader, ctx.val_evaluator,
            s.metric_key, s.rule, s.seed, s.cache_mb)
        if racing:
            scorer.racing = Racing.from_settings(ctx.val_loader, s.race,
                                                 s.seed, s.cache_mb)
        return scorer

    def proxy_finetune(self, iters: Optional[int] = None
                       ) -> Optional[ProxyFinetune]:
        """The configured proxy finetune (``iters`` steps, default its
        own) on its fixed batches, or None when off. Every length runs over
        the same batches: a rung of k steps is the first k of the longest."""
        if self.proxy is None:
            return None
        return ProxyFinetune(
            self.ctx.model, self.batches(self.proxy.iters, PROXY),
            iters or self.proxy.iters, self.proxy.lr, self.scoring.seed,
            self.proxy.schedule)

    def ladder(self) -> Optional[Ladder]:
        """The proxy ladder when the proxy has rungs, else None."""
        if self.proxy is None or not self.proxy.rungs:
            return None
        return Ladder([self.proxy_finetune(k) for k in self.proxy.ladder],
                      self.proxy.keep)

    def shared_proxy(self, snapshot: Any,
                     noise: Optional[Callable[[Candidate], float]] = None
                     ) -> SharedProxy:
        """The runs a generation's candidates share (``proxy.share``),
        each from the weights ``snapshot`` holds."""
        supernet = self.ctx.supernet
        return SharedProxy(
            self.proxy_finetune(), self.proxy.iters, self.proxy.share,
            lambda num: self.batches(num, PROXY), snapshot.restore,
            lambda cand: supernet.set_arch(cand.arch), noise)

    def restart_path(self, snapshot: Any) -> Callable[[Candidate], None]:
        """``prepare`` of a proxy-finetuned arch: the weights ``snapshot``
        holds, then the candidate's path."""
        supernet = self.ctx.supernet

        def prepare(cand: Candidate) -> None:
            snapshot.restore()
            supernet.set_arch(cand.arch)
        return prepare

    def set_path(self) -> Callable[[Candidate], None]:
        """``prepare`` of an arch scored on inherited weights."""
        supernet = self.ctx.supernet
        return lambda cand: supernet.set_arch(cand.arch)
