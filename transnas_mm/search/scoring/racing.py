"""Racing: score a candidate on growing, nested, seeded subsets of the
search split and stop it as soon as its partial score cannot reach the
current top-k on the same images. Losers cost a fraction of an evaluation;
a candidate that might win is always scored on the whole split, so the
winner is unchanged up to the margin."""
import math
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.dist import get_dist_info
from torch.utils.data import DataLoader

from .batch_cache import DEFAULT_CACHE_MB, cached


def check_fractions(fractions: Sequence[float]) -> List[float]:
    """Sorted stage fractions, each in (0, 1); a one-line error if not."""
    out = sorted(float(f) for f in fractions)
    if not out or out[0] <= 0 or out[-1] >= 1:
        raise ValueError(f'race_fractions: expected values in (0, 1), '
                         f'got {list(fractions)}')
    return out


@dataclass
class RaceSettings:
    """The hooks' ``racing=dict(fractions, margin, top)``, checked before
    any training (the message names the hook); recorded with a saved
    search state. ``top``: race against the ``top``-th best score so far
    (None: the search's own default; 1: only what could become the best
    goes on)."""
    on: bool = False
    fractions: Tuple[float, ...] = (0.25, 0.5)
    margin: float = 0.0
    top: Optional[int] = None

    @classmethod
    def checked(cls, owner: str, on: bool,
                fractions: Sequence[float] = (0.25, 0.5),
                margin: float = 0.0, top: Optional[int] = None
                ) -> 'RaceSettings':
        if on:
            try:
                check_fractions(fractions)
            except ValueError as e:
                raise ValueError(f'{owner}: racing.{str(e)[5:]}') from None
        if top is not None and (isinstance(top, bool) or int(top) != top
                                or top < 1):
            raise ValueError(f'{owner}: racing.top: expected an integer >= 1'
                             f' or None, got {top!r}')
        return cls(bool(on), tuple(float(f) for f in fractions),
                   float(margin), None if top is None else int(top))

    def state(self) -> Dict[str, Any]:
        """As recorded with a saved search state (a resume must match)."""
        return dict(racing=self.on, race_fractions=list(self.fractions),
                    race_margin=self.margin, race_top=self.top)


class Racing:
    """Stages over ``dataset``: the first ``fractions[i]`` of one seeded
    permutation, each stage adding its chunk (every rank its shard).

    ``margin`` is in score units for the whole split; at a stage with
    ``n`` of ``N`` images the allowance is ``margin * sqrt(N / n)`` (the
    sampling noise of a mean grows as the subset shrinks). Each stage's
    batches are kept in memory up to ``cache_mb`` MiB (see
    :func:`~.batch_cache.cached`)."""

    def __init__(self, val_loader, fractions: Sequence[float] = (0.25, 0.5),
                 margin: float = 0.0, seed: int = 0,
                 cache_mb: float = DEFAULT_CACHE_MB):
        fractions = check_fractions(fractions)
        if margin < 0:
            raise ValueError(f'race_margin: expected >= 0, got {margin}')
        self.margin = margin
        dataset = val_loader.dataset
        self.total = len(dataset)
        order = np.random.default_rng(seed).permutation(self.total).tolist()
        rank, world = get_dist_info()
        bounds = sorted({max(1, int(round(f * self.total)))
                         for f in fractions} | {self.total})
        self.stages: List[Tuple[Any, int]] = []
        start = 0
        batch_size = val_loader.batch_size or 1
        for end in bounds:
            chunk = order[start:end][rank::world]
            self.stages.append((cached(DataLoader(
                dataset, batch_size=batch_size, sampler=chunk, num_workers=0,
                collate_fn=val_loader.collate_fn), cache_mb), end))
            start = end

    @classmethod
    def from_settings(cls, val_loader, settings: RaceSettings, seed: int,
                      cache_mb: float = DEFAULT_CACHE_MB
                      ) -> Optional['Racing']:
        """``Racing`` as ``settings`` ask, or None when off."""
        if not settings.on:
            return None
        return cls(val_loader, settings.fractions, settings.margin, seed,
                   cache_mb)

    def allowance(self, seen: int) -> float:
        return self.margin * math.sqrt(self.total / max(seen, 1))

    @property
    def checkpoints(self) -> int:
        """Stages before the last: where a candidate may stop."""
        return len(self.stages) - 1

    def per_stage(self, bars: Union[None, float, Sequence[Optional[float]]]
                  ) -> List[Optional[float]]:
        """``bars`` as one value (or None) per stage where a candidate may
        stop."""
        if bars is None or isinstance(bars, (int, float)):
            return [bars] * self.checkpoints
        return list(bars)

    @torch.no_grad()
    def evaluate(self, model, evaluator, metric_key: str, sign: float,
                 bars: Union[None, float, Sequence[Optional[float]]]
                 ) -> Tuple[Dict[str, float], int, List[float]]:
        """Metrics of the last stage reached, the images it covered and the
        (signed) score after each stage before the last that was reached.
        Stops at stage ``i`` when ``sign * metric + allowance < bars[i]``:
        a bar per stage, the score to beat *on the same images* (a paired
        comparison: an image that is hard for one candidate is hard for
        all); a float: one bar for every stage; None: never stops."""
        bars = self.per_stage(bars)
        model.eval()
        stage_scores: List[float] = []
        for k, (loader, seen) in enumerate(self.stages):
            for data in loader:
                evaluator.process(data_samples=model.val_step(data),
                                  data_batch=data)
            if k == self.checkpoints:
                return evaluator.evaluate(seen), seen, stage_scores
            kept = [list(m.results) for m in evaluator.metrics]
            metrics = evaluator.evaluate(seen)  # clears the results
            value = metrics.get(metric_key)  # None: nan, never stops
            stage_scores.append(math.nan if value is None
                                else sign * float(value))
            if bars[k] is not None and \
                    stage_scores[-1] + self.allowance(seen) < bars[k]:
                return metrics, seen, stage_scores
            for m, results in zip(evaluator.metrics, kept):
                m.results.extend(results)  # go on from what was seen
        raise AssertionError('unreachable')
