"""Drawing architectures from a space (uniform ops, random edge subsets)."""
from typing import List

import numpy as np

from .arch import Arch, make_arch
from .search_space import SearchSpace


def sample_arch(space: SearchSpace, rng: np.random.Generator,
                edge_keep_prob: float = 0.5) -> Arch:
    """One op per layer uniformly; each kept edge used with
    ``edge_keep_prob`` (training drops it with ``1 - edge_keep_prob``)."""
    ops: List[str] = []
    edges: List[List[int]] = []
    for ly in space.layers:
        ops.append(ly.candidates[int(rng.integers(len(ly.candidates)))])
        edges.append([e for e in ly.extra_edges
                      if rng.random() < edge_keep_prob])
    return make_arch(space, ops, edges)


def _pick(space: SearchSpace, rank: str) -> Arch:
    """Largest / smallest op per layer by (kernel, expand); all edges for
    the largest, none for the smallest."""
    from .ops import parse_op

    def size(op: str) -> tuple:
        spec = parse_op(op)
        return (spec.get('expand', 0), spec.get('kernel', 0))

    pick = max if rank == 'largest' else min
    ops = [pick(ly.candidates, key=size) for ly in space.layers]
    edges = [list(ly.extra_edges) if rank == 'largest' else []
             for ly in space.layers]
    return make_arch(space, ops, edges)


def largest_arch(space: SearchSpace) -> Arch:
    return _pick(space, 'largest')


def smallest_arch(space: SearchSpace) -> Arch:
    return _pick(space, 'smallest')


def reference_arch(space: SearchSpace, op: str = 'mb_k3e6') -> Arch:
    """The fixed hand-designed chain, no extra edges: the space's
    ``reference_ops`` (one per stage) where it has them, else ``op`` in
    every layer, falling back to a layer's first candidate."""
    if space.reference_ops:
        ops = [space.reference_ops[ly.stage] for ly in space.layers]
        return make_arch(space, ops, [[] for _ in space.layers])
    ops = [op if op in ly.candidates else ly.candidates[0]
           for ly in space.layers]
    return make_arch(space, ops, [[] for _ in space.layers])
