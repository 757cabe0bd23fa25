"""Final selection among the search's top candidates by a fitness closer to
what the user gets: the score after a short proxy finetune."""
import copy
from typing import Callable, List, Optional, Sequence, Tuple

from mmengine.logging import print_log

from ..core.candidate import WORST, Candidate
from .fitness import SubnetScorer


def rerank(cands: Sequence[Candidate], scorer: SubnetScorer,
           before_eval: Optional[Callable] = None) -> List[Candidate]:
    """Re-score copies of ``cands`` (each ``scorer.prepare``d, then
    ``before_eval``, e.g. a :class:`ProxyFinetune`, then BN recalibration and
    evaluation). Returns the copies best first: by the new score, ties by
    the search score, then the search order. Each copy's
    ``metrics['search_score']`` keeps the score it had in the search."""
    out = []
    for order, cand in enumerate(cands):
        again = copy.deepcopy(cand)
        scorer.score(again, before_eval)
        again.metrics['search_score'] = cand.score
        out.append((again, order))
    out.sort(key=lambda t: (-t[0].score, -t[0].metrics['search_score'],
                            t[1]))
    return [c for c, _ in out if c.score > WORST] + \
        [c for c, _ in out if c.score == WORST]


def rerank_choice(search, top: int, scorer: SubnetScorer,
                  proxy: Callable, snapshot) -> Tuple[Candidate, List]:
    """The final choice among the search's ``top`` candidates by their
    score after a proxy finetune (``scorer`` restores the adapted weights
    before each; ``snapshot`` restores them at the end)."""
    ranked = rerank(search.top(top), scorer, proxy)
    snapshot.restore()
    chosen = search.history[ranked[0].key] if ranked[0].score > WORST \
        else search.best
    print_log('rerank by proxy finetune: ' + ', '.join(
        f'{c.metrics["search_score"]:.4f}->{c.score:.4f}'
        for c in ranked), logger='current')
    return chosen, ranked
