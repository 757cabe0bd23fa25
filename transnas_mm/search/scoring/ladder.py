"""A multi-fidelity fitness: successive halving over the proxy-finetune
budget within each generation. Every candidate is scored after the first
rung's proxy steps; the best ``keep`` of them after the next rung's (more
steps from the same adapted weights), and so on. The last rung's score is
what ranks the finalists, so the search picks by (nearly) the finetuned
result while most candidates pay only the short proxy."""
import math
from typing import List, Sequence

from ..core.candidate import WORST, Candidate
from .fitness import SubnetScorer
from .proxy import ProxyFinetune
from .spread import score_each


class Ladder:
    """``rungs``: one :class:`ProxyFinetune` per rung, fewest steps first;
    ``keep``: the share of a rung's candidates promoted to the next."""

    def __init__(self, rungs: Sequence[ProxyFinetune], keep: float = 1 / 3):
        if not rungs:
            raise ValueError('ladder: expected at least one rung')
        if not 0.0 < keep <= 1.0:
            raise ValueError(f'ladder keep: expected a fraction in (0, 1], '
                             f'got {keep}')
        self.rungs = list(rungs)
        self.keep = keep

    @property
    def first(self) -> ProxyFinetune:
        """What every candidate is scored after (the loop's before_eval)."""
        return self.rungs[0]

    @property
    def last(self) -> ProxyFinetune:
        return self.rungs[-1]

    def climb(self, scorer: SubnetScorer, cands: List[Candidate]) -> None:
        """Promote the generation's best rung by rung, in place (scored
        at the first rung already); ``rung_scores`` records each rung's
        score, ``seconds`` and ``images`` add up."""
        alive = [c for c in cands if c.score > WORST]
        for c in alive:
            c.rung_scores = [c.score]
        for proxy in self.rungs[1:]:
            n = max(1, math.ceil(self.keep * len(alive)))
            alive = sorted(alive, key=lambda c: (-c.score, c.flops))[:n]
            def climb_one(c: Candidate, proxy=proxy) -> None:
                seconds, images = c.seconds, c.images
                scorer.score(c, proxy)
                c.seconds += seconds
                c.images += images
                c.rung_scores.append(c.score)
            score_each(scorer, alive, climb_one)
            alive = [c for c in alive if c.score > WORST]
