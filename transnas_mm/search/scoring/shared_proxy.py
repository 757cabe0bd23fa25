"""Shared proxy finetune: a generation's candidates trained together, a
few per run, before each is scored (``proxy=dict(share=8)``).

Why: a proxy finetune per candidate costs ``iters`` steps each, which made
the arch search the largest part of a target's compute. One run of
``iters x n`` steps from the adapted weights, whose step ``t`` trains
candidate ``t mod n``'s path, gives each of ``n`` candidates its ``iters``
steps on shared weights, as NAT adapts its super-network during the
search. Measured (docs/results/search_fitness.md, "A shared proxy"): 90
shared steps per candidate, 8 per run, halve the arch search and keep
NAS + NWS level over 3 search seeds, but the archs found finetune worse
with plain inheritance, so it is an option, not the default. ``share``
caps how many share a run: runs shared by more were not measured."""
import math
import time
from typing import Callable, Dict, List, Optional, Sequence

from ..core.candidate import WORST, Candidate
from .proxy import ProxyFinetune


class SharedProxy:
    """``proxy`` gives the lr, schedule and seed; ``size``: candidates per
    run (a generation of ``n`` is cut, in order, into ``max(1, n //
    size)`` runs of ``size`` to ``2 size - 1``); ``draw(num)`` the fixed
    training batches of a run of ``num`` steps (the same on a rerun or a
    resume); ``restore`` puts the adapted weights back; ``set_path(cand)``
    sets a candidate's path on the super-network; ``noise(cand)``, if
    given, measures a scored candidate's noise on the run's weights."""

    def __init__(self, proxy: ProxyFinetune, iters: int, size: int,
                 draw: Callable[[int], Sequence], restore: Callable[[], None],
                 set_path: Callable[[Candidate], None],
                 noise: Optional[Callable[[Candidate], float]] = None):
        if size < 1:
            raise ValueError(f'shared proxy: expected >= 1 candidate per '
                             f'run, got {size}')
        self.proxy = proxy
        self.iters = iters
        self.size = size
        self.draw = draw
        self.restore = restore
        self.set_path = set_path
        self.noise = noise
        self._batches: Dict[int, Sequence] = {}
        self.seconds = 0.0  # the last run's

    def plan(self, cands: List[Candidate]) -> List[List[Candidate]]:
        """The runs of a generation: consecutive slices, in order."""
        runs = max(1, len(cands) // self.size)
        bounds = [round(k * len(cands) / runs) for k in range(runs + 1)]
        return [cands[a:b] for a, b in zip(bounds, bounds[1:]) if b > a]

    def train(self, cands: List[Candidate]) -> None:
        """From the adapted weights, ``iters`` steps per candidate in one
        run, the paths taken in turn; the weights are left trained (each
        candidate is then scored on them with its own path)."""
        t0 = time.perf_counter()
        self.restore()
        if cands:
            steps = self.iters * len(cands)
            if steps not in self._batches:
                self._batches[steps] = self.draw(steps)
            self.proxy.run(steps, self._batches[steps],
                           lambda t: self.set_path(cands[t % len(cands)]))
        self.seconds = time.perf_counter() - t0

    def scored(self, cands: List[Candidate]) -> None:
        """After a run's candidates are scored: the run's time spread over
        them, and the noise of its best (each tied at the top) while its
        weights are there (a generation's best is some run's best)."""
        for c in cands:
            c.seconds += self.seconds / len(cands)
        ok = [c for c in cands if c.score > WORST and c.status == 'ok']
        if self.noise is None or not ok:
            return
        top = max(c.score for c in ok)
        for c in ok:
            if c.score == top:
                noise = self.noise(c)
                c.noise = None if math.isnan(noise) else noise
