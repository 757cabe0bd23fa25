"""Evolutionary (and random) architecture search, independent of any runner.

The search is a resumable state machine: :meth:`ArchSearch.propose` draws
the next generation (rank 0 in a distributed run), the caller scores each
candidate, :meth:`ArchSearch.finish_generation` records them. Its whole
state (history, top-k, RNG) is a JSON-able dict saved after every
generation, so a killed run continues to the same result.
"""
import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..space import (Arch, CostTable, SearchSpace, arch_key, make_arch,
                     reference_arch, sample_arch)

WORST = -math.inf


@dataclass
class SearchConfig:
    """All search knobs (the hook's config keys)."""
    mode: str = 'evolution'  # or 'random' (the baseline)
    population: int = 20
    generations: int = 10
    top_k: int = 10
    mutation_prob: float = 0.1
    num_mutation: int = 10
    num_crossover: int = 10
    edge_keep_prob: float = 0.5
    flops_range: Optional[Tuple[float, float]] = None
    params_range: Optional[Tuple[float, float]] = None
    max_draws: int = 10000  # per generation, before giving up on filling it
    include_reference: bool = False  # the hand chain in generation 0
    seed: int = 0

    def __post_init__(self):
        if self.mode not in ('evolution', 'random'):
            raise ValueError(f"mode: expected 'evolution' or 'random', got "
                             f'{self.mode!r}')
        for name in ('population', 'generations', 'top_k'):
            if getattr(self, name) < 1:
                raise ValueError(f'{name}: expected >= 1, got '
                                 f'{getattr(self, name)}')
        if not 0.0 <= self.mutation_prob <= 1.0:
            raise ValueError(f'mutation_prob: expected 0..1, got '
                             f'{self.mutation_prob}')
        for name in ('flops_range', 'params_range'):
            rng = getattr(self, name)
            if rng is not None:
                if len(rng) != 2 or rng[0] > rng[1]:
                    raise ValueError(f'{name}: expected (low, high), got '
                                     f'{rng}')
                setattr(self, name, (float(rng[0]), float(rng[1])))


@dataclass
class Candidate:
    """One evaluated architecture, as logged in ``search_log.jsonl``."""
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
    sources: Optional[List[Dict[str, Any]]] = None  # weight search only

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
        return d

    @classmethod
    def from_dict(cls, d: Dict[str, Any], space: SearchSpace) -> 'Candidate':
        d = dict(d)
        layers = d.pop('layers')
        score = d.pop('score')
        arch = make_arch(space, [ly['op'] for ly in layers],
                         [ly['edges'] for ly in layers])
        return cls(arch=arch, score=WORST if score is None else score, **d)


class ArchSearch:
    """Evolution over (op, edge-subset) per layer under FLOPs/params ranges.

    Out-of-range candidates are rejected by a cost-table lookup before any
    evaluation and redrawn; an arch is never evaluated twice.
    """

    def __init__(self, space: SearchSpace, cost_table: CostTable,
                 cfg: SearchConfig):
        self.space = space
        self.cost_table = cost_table
        self.cfg = cfg
        self.rng = np.random.default_rng(cfg.seed)
        self.generation = 0
        self.history: Dict[str, Candidate] = {}
        self.rejected = 0

    # -- constraints ---------------------------------------------------
    def within_constraints(self, arch: Arch) -> Tuple[bool, int, int]:
        flops, params = self.cost_table.cost(arch)
        ok = True
        if self.cfg.flops_range is not None:
            lo, hi = self.cfg.flops_range
            ok = ok and lo <= flops <= hi
        if self.cfg.params_range is not None:
            lo, hi = self.cfg.params_range
            ok = ok and lo <= params <= hi
        return ok, flops, params

    # -- variation -------------------------------------------------------
    def _random(self) -> Arch:
        return sample_arch(self.space, self.rng, self.cfg.edge_keep_prob)

    def _mutate(self, arch: Arch) -> Arch:
        ops, edges = [], []
        for ly, spec in zip(arch['layers'], self.space.layers):
            op = ly['op']
            if self.rng.random() < self.cfg.mutation_prob:
                op = spec.candidates[int(self.rng.integers(
                    len(spec.candidates)))]
            e = [x for x in spec.extra_edges
                 if (x in ly['edges']) != (self.rng.random() <
                                           self.cfg.mutation_prob)]
            ops.append(op)
            edges.append(e)
        return make_arch(self.space, ops, edges)

    def _crossover(self, a: Arch, b: Arch) -> Arch:
        pick = [self.rng.random() < 0.5 for _ in self.space.layers]
        layers = [la if p else lb for p, la, lb in
                  zip(pick, a['layers'], b['layers'])]
        return make_arch(self.space, [ly['op'] for ly in layers],
                         [ly['edges'] for ly in layers])

    def top(self, k: Optional[int] = None) -> List[Candidate]:
        """Best first; ties broken by fewer FLOPs, then first evaluated."""
        ranked = sorted(self.history.values(),
                        key=lambda c: (-c.score, c.flops))
        return ranked[:k or self.cfg.top_k]

    def propose(self) -> List[Arch]:
        """The next generation: unique, never-evaluated, within range."""
        want = self.cfg.population
        out: Dict[str, Arch] = {}
        parents = [c.arch for c in self.top() if c.score > WORST]
        evolve = self.cfg.mode == 'evolution' and self.generation > 0 \
            and parents
        plan: List[Callable[[], Arch]] = []
        if evolve:
            plan += [lambda: self._mutate(
                parents[int(self.rng.integers(len(parents)))])
                     ] * self.cfg.num_mutation
            plan += [lambda: self._crossover(
                parents[int(self.rng.integers(len(parents)))],
                parents[int(self.rng.integers(len(parents)))])
                     ] * self.cfg.num_crossover
        draws = 0
        step = 0
        if self.generation == 0 and self.cfg.include_reference:
            # The hand-designed chain as a known-good starting point: the
            # search can then only match or beat it on the search split.
            ref = reference_arch(self.space)
            if self.within_constraints(ref)[0] and \
                    arch_key(ref) not in self.history:
                out[arch_key(ref)] = ref
        while len(out) < want and draws < self.cfg.max_draws:
            make = plan[step] if step < len(plan) else self._random
            arch = make()
            draws += 1
            key = arch_key(arch)
            if key in out or key in self.history:
                continue
            if not self.within_constraints(arch)[0]:
                self.rejected += 1
                continue
            out[key] = arch
            step += 1
        if not out:
            raise RuntimeError(
                f'no new architecture within flops_range='
                f'{self.cfg.flops_range} params_range='
                f'{self.cfg.params_range} after {draws} draws; widen the '
                f'ranges')
        return list(out.values())

    def candidate(self, arch: Arch) -> Candidate:
        _, flops, params = self.within_constraints(arch)
        return Candidate(arch=arch, flops=flops, params=params,
                         generation=self.generation)

    def finish_generation(self, results: Sequence[Candidate]) -> None:
        for c in results:
            self.history[c.key] = c
        self.generation += 1

    @property
    def done(self) -> bool:
        return self.generation >= self.cfg.generations

    @property
    def best(self) -> Optional[Candidate]:
        top = self.top(1)
        return top[0] if top and top[0].score > WORST else None

    # -- persistence -----------------------------------------------------
    def state_dict(self) -> Dict[str, Any]:
        return dict(generation=self.generation, rejected=self.rejected,
                    rng=self.rng.bit_generator.state,
                    config=asdict(self.cfg),
                    space_fingerprint=self.space.fingerprint(),
                    history=[c.to_dict() for c in self.history.values()])

    def load_state_dict(self, state: Dict[str, Any], source: str = '<state>'
                        ) -> None:
        if state.get('space_fingerprint') != self.space.fingerprint():
            raise ValueError(f'{source}: space_fingerprint: search state is '
                             f'from another search space')
        saved = dict(state['config'])
        for key in ('flops_range', 'params_range'):
            if saved.get(key) is not None:
                saved[key] = tuple(saved[key])
        if saved != asdict(self.cfg):
            diff = [k for k in saved if saved[k] != asdict(self.cfg).get(k)]
            raise ValueError(f'{source}: config: search state was written '
                             f'with other settings ({", ".join(diff)}); use '
                             f'another work_dir or delete the state')
        self.generation = state['generation']
        self.rejected = state['rejected']
        self.rng.bit_generator.state = state['rng']
        self.history = {}
        for d in state['history']:
            c = Candidate.from_dict(d, self.space)
            self.history[c.key] = c


def pareto_front(cands: Sequence[Candidate]) -> List[Candidate]:
    """Candidates no other beats on both score (higher) and FLOPs (lower)."""
    ok = [c for c in cands if c.score > WORST]
    front = [c for c in ok if not any(
        (o.score >= c.score and o.flops <= c.flops) and
        (o.score > c.score or o.flops < c.flops) for o in ok)]
    return sorted(front, key=lambda c: c.flops)
