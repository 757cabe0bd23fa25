"""One evaluated candidate of either search (an architecture, or an
architecture plus a weight-source assignment), and the Pareto front."""
import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional, Sequence

from ...space import Arch, SearchSpace, arch_key, make_arch

WORST = -math.inf


@dataclass
class Candidate:
    """One evaluated architecture (with ``sources``: also where each layer's
    weights come from), as logged in ``search_log.jsonl``/``nws_log.jsonl``."""
    arch: Arch
    flops: int
    params: int
    generation: int
    score: float = WORST
    metrics: Dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    status: str = 'ok'  # or 'failed', or 'raced' (stopped early)
    reason: str = ''
    images: int = 0  # search-split images evaluated (racing stops early)
    latency: Optional[float] = None  # ms, from a LatencyTable if searched
    predicted: Optional[float] = None  # the surrogate's score, if used
    # racing: the score after each stage before the last that it reached
    stage_scores: Optional[List[float]] = None
    sources: Optional[List[Dict[str, Any]]] = None  # weight search only
    # a proxy ladder: the score after each rung it reached (last = score)
    rung_scores: Optional[List[float]] = None
    # a shared proxy: the score's std over other calibration draws, taken
    # right after its run (the only time that run's weights exist)
    noise: Optional[float] = None

    @property
    def first_score(self) -> float:
        """The score at the ladder's first rung (the one every candidate
        of a generation gets), else the score."""
        return self.rung_scores[0] if self.rung_scores else self.score

    @property
    def key(self) -> str:
        if self.sources is None:
            return arch_key(self.arch)
        return arch_key(self.arch) + json.dumps(self.sources,
                                                sort_keys=True)

    def to_dict(self) -> Dict[str, Any]:
        d = asdict(self)
        d['layers'] = d.pop('arch')['layers']
        d['score'] = None if self.score == WORST else self.score
        if self.sources is None:
            d.pop('sources')
        for key in ('latency', 'predicted', 'stage_scores', 'rung_scores',
                    'noise'):
            if d[key] is None:
                d.pop(key)
        return d

    @classmethod
    def from_dict(cls, d: Dict[str, Any], space: SearchSpace) -> 'Candidate':
        d = dict(d)
        layers = d.pop('layers')
        score = d.pop('score')
        for key in ('stage_scores', 'rung_scores'):
            if d.get(key) is not None:  # JSON null: no metric / failed
                d[key] = [(math.nan if key == 'stage_scores' else WORST)
                          if s is None else s for s in d[key]]
        arch = make_arch(space, [ly['op'] for ly in layers],
                         [ly['edges'] for ly in layers])
        return cls(arch=arch, score=WORST if score is None else score, **d)


def pareto_front(cands: Sequence[Candidate]) -> List[Candidate]:
    """Candidates no other beats on both score (higher) and FLOPs (lower),
    among those scored on the whole split (not raced)."""
    ok = [c for c in cands if c.score > WORST and c.status != 'raced']
    front = [c for c in ok if not any(
        (o.score >= c.score and o.flops <= c.flops) and
        (o.score > c.score or o.flops < c.flops) for o in ok)]
    return sorted(front, key=lambda c: c.flops)
