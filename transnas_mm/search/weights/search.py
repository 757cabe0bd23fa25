"""The weight search (NWS) for a fixed architecture: which super-network
weights each layer starts from. Same protocol as the architecture search
(:class:`~.base.Search`), so :func:`run_search` drives both with the same
resume, broadcast, racing and failure handling.

Generation 0 is plain inheritance (first), so the chosen assignment can
only match or beat it on the search split (ties keep the earlier
candidate), and a change is kept only if it wins by more than ``margin``.
"""
import copy
import dataclasses
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from ...space import Arch, SearchSpace, arch_key
from ..core.base import Search
from ..core.candidate import WORST, Candidate
from .sources import Source, all_sources

Assignment = List[Source]


@dataclass
class WeightSearchConfig:
    """The weight search's knobs (``WeightSearchHook`` arguments)."""
    mode: str = 'greedy'  # coordinate ascent; or 'evolution'
    passes: int = 1  # greedy: sweeps over the layers
    population: int = 10  # evolution
    generations: int = 5  # evolution
    top_k: int = 5
    mutation_prob: float = 0.2
    # the source checkpoint's weights (before adaptation) as a candidate
    # source of every layer
    source: bool = False
    seed: int = 0

    def __post_init__(self):
        if self.mode not in ('greedy', 'evolution'):
            raise ValueError(f"mode: expected 'greedy' or 'evolution', got "
                             f'{self.mode!r}')
        for name in ('passes', 'population', 'generations', 'top_k'):
            if getattr(self, name) < 1:
                raise ValueError(f'{name}: expected >= 1, got '
                                 f'{getattr(self, name)}')


class WeightSearch(Search):
    """Greedy coordinate ascent over layers (each step tries every source
    of one layer on top of the best assignment so far) or evolution over
    whole assignments. ``margin``/``noise`` are set by the caller from
    plain inheritance's measured score noise."""

    def __init__(self, space: SearchSpace, arch: Arch,
                 cfg: WeightSearchConfig, flops: int = 0, params: int = 0):
        self.options = all_sources(space, arch, cfg.source)
        self.plan = [i for i, opts in enumerate(self.options)
                     if len(opts) > 1]
        if cfg.mode == 'greedy':
            # one step per layer and pass, after plain inheritance; the log
            # line reads "generation g/N" (the caller's cfg is not changed)
            cfg = dataclasses.replace(
                cfg, generations=1 + len(self.plan) * cfg.passes)
        super().__init__(space, cfg)
        self.arch = arch
        self.flops, self.params = flops, params
        # A change of sources is kept only if it beats plain inheritance by
        # more than this (the measured score noise times a factor).
        self.margin = 0.0
        self.noise: Optional[float] = None  # std of plain's score

    @property
    def plain(self) -> Assignment:
        return [opts[0] for opts in self.options]

    @property
    def whole_source(self) -> Assignment:
        """Every layer from the source checkpoint (``source=True``): the
        pretrained network's weights as they came, before adaptation."""
        return [next((o for o in opts if o['kind'] == 'source'), opts[0])
                for opts in self.options]

    def _key(self, sources: Assignment) -> str:
        return Candidate(self.arch, 0, 0, 0, sources=sources).key

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
            if self.cfg.source and self.whole_source != self.plain:
                first.append(self.whole_source)
            if self.cfg.mode == 'evolution':
                first += self._unique([self._mutate(self.plain) for _ in
                                       range(4 * self.cfg.population)],
                                      self.cfg.population - len(first),
                                      first)
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

    def sample_assignments(self, n: int) -> List[Assignment]:
        """Plain inheritance and ``n - 1`` distinct seeded mutations of it
        (for studies of the fitness; does not touch the history)."""
        plain = self.plain
        pool = [self._mutate(plain) for _ in range(20 * n)]
        return [plain] + self._unique(pool, n - 1, [plain])

    def _unique(self, pool: List[Assignment], want: int,
                taken: List[Assignment]) -> List[Assignment]:
        if want <= 0:
            return []
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

    def layer_gains(self) -> Dict[int, float]:
        """Greedy mode: for each layer, how much its step raised the best
        search-split score (best of its step minus best before it)."""
        if self.cfg.mode != 'greedy' or not self.plan:
            return {}
        by_gen: Dict[int, list] = {}
        for c in self.history.values():
            if c.score > WORST:
                by_gen.setdefault(c.generation, []).append(c.score)
        gains: Dict[int, float] = {}
        best_before = max(by_gen.get(0, [WORST]))
        for g in range(1, self.generation):
            layer = self.plan[(g - 1) % len(self.plan)]
            step = max(by_gen.get(g, [WORST]))
            if best_before > WORST:
                gains[layer] = max(gains.get(layer, 0.0),
                                   max(0.0, step - best_before))
            best_before = max(best_before, step)
        return gains

    def state_dict(self) -> Dict[str, Any]:
        return dict(super().state_dict(), arch=arch_key(self.arch),
                    margin=self.margin, noise=self.noise)

    def load_state_dict(self, state: Dict[str, Any],
                        source: str = '<state>') -> None:
        if state.get('arch') != arch_key(self.arch):
            raise ValueError(f'{source}: arch: weight-search state is for '
                             f'another architecture; delete it to restart')
        super().load_state_dict(state, source)
        self.margin = state.get('margin', 0.0)
        self.noise = state.get('noise')
