"""The architecture search (NAS): evolution, or random search as the
baseline, over (op, edge subset) per layer under FLOPs/params ranges,
independent of any runner (protocol: :class:`~.base.Search`)."""
import math
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np

from ...space import (Arch, CostTable, LatencyTable, SearchSpace, arch_key,
                      make_arch, reference_arch, sample_arch)
from ..core.base import Search
from ..core.candidate import WORST, Candidate
from ..settings import group
from .predictor import RidgePredictor


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
    latency_range: Optional[Tuple[float, float]] = None  # ms, needs a table
    max_draws: int = 10000  # per generation, before giving up on filling it
    include_reference: bool = False  # the hand chain in generation 0
    # After generation 0, evaluate only the predicted best ``predictor_keep``
    # of each generation's children (ridge surrogate on the scored ones).
    predictor: bool = False
    predictor_keep: float = 0.5
    seed: int = 0

    def __post_init__(self):
        if self.mode not in ('evolution', 'random'):
            raise ValueError(f"mode: expected 'evolution' or 'random', got "
                             f'{self.mode!r}')
        for name in ('population', 'generations', 'top_k'):
            if getattr(self, name) < 1:
                raise ValueError(f'{name}: expected >= 1, got '
                                 f'{getattr(self, name)}')
        if not 0.0 < self.predictor_keep <= 1.0:
            raise ValueError(f'predictor_keep: expected a fraction in '
                             f'(0, 1], got {self.predictor_keep}')
        if not 0.0 <= self.mutation_prob <= 1.0:
            raise ValueError(f'mutation_prob: expected 0..1, got '
                             f'{self.mutation_prob}')
        for name in ('flops_range', 'params_range', 'latency_range'):
            rng = getattr(self, name)
            if rng is not None:
                if len(rng) != 2 or rng[0] > rng[1]:
                    raise ValueError(f'{name}: expected (low, high), got '
                                     f'{rng}')
                setattr(self, name, (float(rng[0]), float(rng[1])))

    @classmethod
    def parse(cls, owner: str, mode: str, search: Optional[dict],
              constraints: Optional[dict], predictor: Optional[dict],
              seed: int) -> 'SearchConfig':
        """From the hook's grouped arguments (``search=dict(...)``,
        ``constraints=dict(flops=...)``, ``predictor=dict(keep=...)``),
        each error naming ``owner`` and the field."""
        knobs = group(owner, 'search', search or {}, (
            'population', 'generations', 'top_k', 'mutation_prob',
            'num_mutation', 'num_crossover', 'edge_keep_prob',
            'include_reference', 'max_draws'))
        knobs.setdefault('include_reference', True)
        limits = group(owner, 'constraints', constraints or {},
                       ('flops', 'params', 'latency'))
        screen = group(owner, 'predictor', predictor, ('keep',))
        try:
            return cls(mode=mode, **knobs,
                       **{f'{k}_range': v for k, v in limits.items()},
                       predictor=screen is not None,
                       predictor_keep=(screen or {}).get('keep', 0.5),
                       seed=seed)
        except ValueError as e:
            raise ValueError(f'{owner}: {e}') from None


def within_ranges(cost_table: CostTable, arch: Arch,
                  flops_range: Optional[Tuple[float, float]] = None,
                  params_range: Optional[Tuple[float, float]] = None
                  ) -> Tuple[bool, int, int]:
    """(inside both ranges, FLOPs, params) by a cost-table lookup."""
    flops, params = cost_table.cost(arch)
    ok = True
    if flops_range is not None:
        ok = ok and flops_range[0] <= flops <= flops_range[1]
    if params_range is not None:
        ok = ok and params_range[0] <= params <= params_range[1]
    return ok, flops, params


def sample_arch_within(space: SearchSpace, cost_table: CostTable,
                       rng: np.random.Generator,
                       flops_range: Optional[Tuple[float, float]] = None,
                       params_range: Optional[Tuple[float, float]] = None,
                       edge_keep_prob: float = 0.5,
                       max_draws: int = 10000) -> Arch:
    """A uniformly drawn arch inside the ranges (the random baseline, and
    what tools, tests and benchmarks use to draw one)."""
    for _ in range(max_draws):
        arch = sample_arch(space, rng, edge_keep_prob)
        if within_ranges(cost_table, arch, flops_range, params_range)[0]:
            return arch
    raise RuntimeError(f'no architecture within flops_range={flops_range} '
                       f'params_range={params_range} after {max_draws} '
                       f'draws; widen the ranges')


class ArchSearch(Search):
    """Evolution over (op, edge-subset) per layer under FLOPs/params ranges.

    Out-of-range candidates are rejected by a cost-table lookup before any
    evaluation and redrawn; an arch is never evaluated twice.
    """

    def __init__(self, space: SearchSpace, cost_table: CostTable,
                 cfg: SearchConfig,
                 latency_table: Optional[LatencyTable] = None):
        super().__init__(space, cfg)
        if cfg.latency_range is not None and latency_table is None:
            raise ValueError('latency_range: needs a latency table (the '
                             'hook measures one)')
        self.cost_table = cost_table
        self.latency_table = latency_table
        self._predictor: Optional[RidgePredictor] = None
        self._predictor_generation = -1

    # -- constraints ---------------------------------------------------
    def within_constraints(self, arch: Arch) -> Tuple[bool, int, int]:
        ok, flops, params = within_ranges(self.cost_table, arch,
                                          self.cfg.flops_range,
                                          self.cfg.params_range)
        if ok and self.cfg.latency_range is not None:
            lo, hi = self.cfg.latency_range
            ok = lo <= self.latency_table.latency(arch) <= hi
        return ok, flops, params

    # -- predictor -------------------------------------------------------
    def predictor(self) -> Optional[RidgePredictor]:
        """The surrogate fitted on every candidate scored so far (raced
        ones with their partial score), refitted once per generation; None
        when off or in generation 0. Every rank fits the same one."""
        if not self.cfg.predictor or self.generation == 0:
            return None
        if self._predictor_generation != self.generation:
            scored = [c for c in self.history.values() if c.score > WORST]
            full = max((c.images for c in scored), default=0)
            # a raced score counts for the share of the split it saw
            self._predictor = RidgePredictor(self.space).fit(
                [c.arch for c in scored], [c.first_score for c in scored],
                [c.images / full if full and c.images else 1.0
                 for c in scored]) if len(scored) >= 2 else None
            self._predictor_generation = self.generation
        return self._predictor

    def _screen(self, archs: List[Arch]) -> List[Arch]:
        """The predicted best ``predictor_keep`` of ``archs``, best first
        (so racing meets a high bar early); the rest are skipped."""
        predictor = self.predictor()
        if predictor is None:
            return archs
        keep = max(1, math.ceil(self.cfg.predictor_keep * len(archs)))
        predicted = predictor.predict(archs)
        order = sorted(range(len(archs)), key=lambda i: (-predicted[i], i))
        self.skipped += len(archs) - keep
        return [archs[i] for i in order[:keep]]

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

    def _rank_key(self, cand: Candidate, order: int) -> tuple:
        """Ties broken by fewer FLOPs, then first evaluated."""
        return (-cand.score, cand.flops, order)

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
                f'{self.cfg.params_range} latency_range='
                f'{self.cfg.latency_range} after {draws} draws; widen the '
                f'ranges')
        return self._screen(list(out.values()))

    def candidate(self, arch: Arch) -> Candidate:
        _, flops, params = self.within_constraints(arch)
        latency = self.latency_table.latency(arch) \
            if self.latency_table is not None else None
        predictor = self.predictor()
        predicted = float(predictor.predict([arch])[0]) \
            if predictor is not None else None
        return Candidate(arch=arch, flops=flops, params=params,
                         generation=self.generation, latency=latency,
                         predicted=predicted)

    def _saved_config(self, saved: Dict[str, Any]) -> Dict[str, Any]:
        saved.setdefault('latency_range', None)  # states before latency
        saved.setdefault('predictor', False)  # states before the predictor
        saved.setdefault('predictor_keep', 0.5)
        for key in ('flops_range', 'params_range', 'latency_range'):
            if saved.get(key) is not None:
                saved[key] = tuple(saved[key])
        return saved
