"""Neural weight search (NWS) for a fixed architecture: which super-network
weights each layer starts from. Same protocol as :class:`ArchSearch`
(propose / finish_generation / state_dict), so :func:`run_search` drives
both with the same resume, broadcast and failure handling.

Generation 0 is plain inheritance alone, so the chosen assignment can only
match or beat it on the search split (ties keep the earlier candidate).
"""
import copy
from dataclasses import asdict, dataclass
from typing import Any, Dict, List, Optional

import numpy as np

from ..space import Arch, SearchSpace, arch_key
from .evolution import WORST, Candidate
from .weight_sources import Source, all_sources

Assignment = List[Source]


@dataclass
class WeightSearchConfig:
    mode: str = 'greedy'  # coordinate ascent; or 'evolution'
    passes: int = 1  # greedy: sweeps over the layers
    population: int = 10  # evolution
    generations: int = 5  # evolution
    top_k: int = 5
    mutation_prob: float = 0.2
    seed: int = 0

    def __post_init__(self):
        if self.mode not in ('greedy', 'evolution'):
            raise ValueError(f"mode: expected 'greedy' or 'evolution', got "
                             f'{self.mode!r}')


class WeightSearch:

    def __init__(self, space: SearchSpace, arch: Arch,
                 cfg: WeightSearchConfig, flops: int = 0, params: int = 0):
        self.space = space
        self.arch = arch
        self.cfg = cfg
        self.flops, self.params = flops, params
        self.options = all_sources(space, arch)
        self.plan = [i for i, opts in enumerate(self.options)
                     if len(opts) > 1]
        self.rng = np.random.default_rng(cfg.seed)
        self.generation = 0
        self.history: Dict[str, Candidate] = {}
        self.rejected = 0
        # A change of sources is kept only if it beats plain inheritance by
        # more than this (the measured score noise times a factor).
        self.margin = 0.0
        self.noise: Optional[float] = None  # std of plain's score
        if cfg.mode == 'greedy':
            # the log line reads "generation g/N": N steps in all
            self.cfg.generations = 1 + len(self.plan) * cfg.passes

    @property
    def plain(self) -> Assignment:
        return [opts[0] for opts in self.options]

    def _key(self, sources: Assignment) -> str:
        return Candidate(self.arch, 0, 0, 0, sources=sources).key

    def top(self, k: Optional[int] = None) -> List[Candidate]:
        """Best first; ties keep the earlier candidate (plain first)."""
        order = {key: i for i, key in enumerate(self.history)}
        ranked = sorted(self.history.values(),
                        key=lambda c: (-c.score, order[c.key]))
        return ranked[:k or self.cfg.top_k]

    @property
    def best(self) -> Optional[Candidate]:
        """The top candidate if it beats plain inheritance by more than
        ``margin``; otherwise plain (a win within the noise is no win)."""
        top = self.top(1)
        if not top or top[0].score == WORST:
            return None
        plain = self.plain_candidate
        if plain is not None and plain.score > WORST and \
                top[0].score - plain.score <= self.margin:
            return plain
        return top[0]

    @property
    def plain_candidate(self) -> Optional[Candidate]:
        return self.history.get(self._key(self.plain))

    @property
    def done(self) -> bool:
        return self.generation >= self.cfg.generations

    def _mutate(self, sources: Assignment) -> Assignment:
        out = copy.deepcopy(sources)
        for i in self.plan:
            if self.rng.random() < self.cfg.mutation_prob:
                opts = self.options[i]
                out[i] = copy.deepcopy(opts[int(self.rng.integers(
                    len(opts)))])
        return out

    def propose(self) -> List[Assignment]:
        if self.generation == 0:
            first = [self.plain]
            if self.cfg.mode == 'evolution':
                first += self._unique([self._mutate(self.plain) for _ in
                                       range(4 * self.cfg.population)],
                                      self.cfg.population - 1, first)
            return first
        best = self.best.sources if self.best else self.plain
        if self.cfg.mode == 'greedy':
            layer = self.plan[(self.generation - 1) % len(self.plan)]
            tries = []
            for opt in self.options[layer]:
                cand = copy.deepcopy(best)
                cand[layer] = copy.deepcopy(opt)
                tries.append(cand)
            return self._unique(tries, len(tries), [])
        parents = [c.sources for c in self.top() if c.score > WORST] or \
            [self.plain]
        pool = [self._mutate(parents[int(self.rng.integers(len(parents)))])
                for _ in range(8 * self.cfg.population)]
        return self._unique(pool, self.cfg.population, [])

    def _unique(self, pool: List[Assignment], want: int,
                taken: List[Assignment]) -> List[Assignment]:
        seen = {self._key(a) for a in taken}
        out = []
        for a in pool:
            key = self._key(a)
            if key in seen or key in self.history:
                continue
            seen.add(key)
            out.append(a)
            if len(out) == want:
                break
        return out

    def candidate(self, sources: Assignment) -> Candidate:
        return Candidate(arch=self.arch, flops=self.flops,
                         params=self.params, generation=self.generation,
                         sources=sources)

    def finish_generation(self, results: List[Candidate]) -> None:
        for c in results:
            self.history[c.key] = c
        self.generation += 1

    def state_dict(self) -> Dict[str, Any]:
        return dict(generation=self.generation, rng=self.rng.bit_generator
                    .state, config=asdict(self.cfg),
                    space_fingerprint=self.space.fingerprint(),
                    arch=arch_key(self.arch), rejected=self.rejected,
                    margin=self.margin, noise=self.noise,
                    history=[c.to_dict() for c in self.history.values()])

    def load_state_dict(self, state: Dict[str, Any],
                        source: str = '<state>') -> None:
        if state.get('arch') != arch_key(self.arch):
            raise ValueError(f'{source}: arch: weight-search state is for '
                             f'another architecture; delete it to restart')
        if state.get('config') != asdict(self.cfg):
            raise ValueError(f'{source}: config: weight-search state was '
                             f'written with other settings')
        self.generation = state['generation']
        self.margin = state.get('margin', 0.0)
        self.noise = state.get('noise')
        self.rng.bit_generator.state = state['rng']
        self.history = {}
        for d in state['history']:
            c = Candidate.from_dict(d, self.space)
            self.history[c.key] = c
