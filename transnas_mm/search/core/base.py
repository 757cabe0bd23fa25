"""The protocol both searches share, so :func:`run_search` drives either.

A search is a resumable state machine: :meth:`Search.propose` draws the
next generation (rank 0 in a distributed run), the caller scores each
:meth:`Search.candidate`, :meth:`Search.finish_generation` records them.
Its whole state (history, RNG, generation) is a JSON-able dict saved after
every generation, so a killed run continues to the same result.
"""
from dataclasses import asdict
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from ...space import SearchSpace
from .candidate import WORST, Candidate


def generation_scalars(s: 'Search', prefix: str) -> Dict[str, float]:
    """What a visualizer shows after each generation: the best score so
    far and the median of the generation just scored."""
    import statistics
    last = [c.score for c in s.history.values()
            if c.generation == s.generation - 1 and c.score > WORST]
    best = s.best
    return {f'{prefix}/best_score': best.score if best else float('nan'),
            f'{prefix}/generation_median':
            statistics.median(last) if last else float('nan')}


class Search:
    """Shared state and persistence; subclasses define what a proposal is
    (:meth:`propose`, :meth:`candidate`) and how candidates rank
    (:meth:`_rank_key`)."""

    def __init__(self, space: SearchSpace, cfg: Any):
        self.space = space
        self.cfg = cfg
        self.rng = np.random.default_rng(cfg.seed)
        self.generation = 0
        self.history: Dict[str, Candidate] = {}
        self.rejected = 0  # proposals refused before evaluation
        self.skipped = 0  # proposals a predictor chose not to evaluate

    # -- what subclasses define ---------------------------------------------
    def propose(self) -> List[Any]:
        raise NotImplementedError

    def candidate(self, proposal: Any) -> Candidate:
        raise NotImplementedError

    def _rank_key(self, cand: Candidate, order: int) -> tuple:
        """Sort key, smaller first; ``order`` = evaluation order."""
        return (-cand.score, order)

    # -- shared ---------------------------------------------------------------
    def top(self, k: Optional[int] = None) -> List[Candidate]:
        """Best first (ties: :meth:`_rank_key`); candidates scored on the
        whole split before raced ones, whose partial score was on other
        images (a raced candidate is never the best while one is full); on
        a proxy ladder, a higher rung before a lower one."""
        ranked = [c for _, c in sorted(
            (((c.status == 'raced', c.score == WORST,
               -len(c.rung_scores or ())) + self._rank_key(c, i), c)
             for i, c in enumerate(self.history.values())),
            key=lambda pair: pair[0])]
        return ranked[:k or self.cfg.top_k]

    @property
    def best(self) -> Optional[Candidate]:
        top = self.top(1)
        return top[0] if top and top[0].score > WORST else None

    @property
    def done(self) -> bool:
        return self.generation >= self.cfg.generations

    def finish_generation(self, results: Sequence[Candidate]) -> None:
        for c in results:
            self.history[c.key] = c
        self.generation += 1

    def state_dict(self) -> Dict[str, Any]:
        return dict(generation=self.generation, rejected=self.rejected,
                    skipped=self.skipped,
                    rng=self.rng.bit_generator.state,
                    config=asdict(self.cfg),
                    space_fingerprint=self.space.fingerprint(),
                    history=[c.to_dict() for c in self.history.values()])

    def _saved_config(self, saved: Dict[str, Any]) -> Dict[str, Any]:
        """The saved config as ``asdict(self.cfg)`` would give it (JSON
        turns tuples into lists)."""
        return saved

    def load_state_dict(self, state: Dict[str, Any], source: str = '<state>'
                        ) -> None:
        """Restore; refused, naming the field, for another space or other
        search settings."""
        if state.get('space_fingerprint') != self.space.fingerprint():
            raise ValueError(f'{source}: space_fingerprint: search state is '
                             f'from another search space')
        saved = self._saved_config(dict(state['config']))
        mine = asdict(self.cfg)
        if saved != mine:
            diff = [k for k in mine if saved.get(k) != mine[k]]
            raise ValueError(f'{source}: config: search state was written '
                             f'with other settings ({", ".join(diff)}); use '
                             f'another work_dir or delete the state')
        self.generation = state['generation']
        self.rejected = state.get('rejected', 0)
        self.skipped = state.get('skipped', 0)
        self.rng.bit_generator.state = state['rng']
        self.history = {}
        for d in state['history']:
            c = Candidate.from_dict(d, self.space)
            self.history[c.key] = c
