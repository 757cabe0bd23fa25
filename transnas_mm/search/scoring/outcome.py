"""What every scorer does with a failure and with repeated scores: a
candidate that raises is data (scored worst, its reason kept), and the
score noise is the spread of one candidate's scores over other draws."""
import math
import statistics
from typing import Sequence

from ..core.candidate import WORST, Candidate


def mark_failed(cand: Candidate, error: BaseException) -> None:
    """``cand`` scores worst; its reason is the error's first line."""
    cand.score = WORST
    cand.status = 'failed'
    cand.reason = f'{type(error).__name__}: {error}'.splitlines()[0][:300]


def score_spread(scores: Sequence[float]) -> float:
    """The std of one candidate's scores; NaN with fewer than two or when
    any draw failed (a failure has no score to spread)."""
    if len(scores) < 2 or any(s == WORST for s in scores):
        return math.nan
    return statistics.stdev(scores)
