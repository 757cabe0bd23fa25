"""The one arch format: a versioned, human-readable JSON document.

    {"format": "transnas_mm.arch", "version": 1,
     "space_fingerprint": "...", "space": {<SearchSpace.to_dict()>},
     "layers": [{"op": "mb_k3e6", "edges": [0]}, ...]}

``edges`` lists the extra inputs (earlier layers of the same stage) the
layer sums with its chain input; they must be among the space's kept edges.
The embedded ``space`` makes an arch self-contained: ``TransNASNet`` needs
nothing else to rebuild the network.
"""
import json
import os.path as osp
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

from ..utils.atomic_io import atomic_write_json
from .ops import op_allowed, parse_op
from .search_space import SearchSpace

FORMAT = 'transnas_mm.arch'
VERSION = 1
Arch = Dict[str, Any]


class ArchError(ValueError):
    """An arch document is malformed or does not fit the space."""


def make_arch(space: SearchSpace, ops: Sequence[str],
              edges: Sequence[Sequence[int]]) -> Arch:
    return dict(format=FORMAT, version=VERSION,
                space_fingerprint=space.fingerprint(), space=space.to_dict(),
                layers=[dict(op=o, edges=sorted(int(x) for x in e))
                        for o, e in zip(ops, edges)])


def arch_key(arch: Arch) -> str:
    """Canonical, hashable identity of an arch (ops and edges only)."""
    return json.dumps([[ly['op'], sorted(ly['edges'])]
                       for ly in arch['layers']], separators=(',', ':'))


def space_of(arch: Arch) -> SearchSpace:
    return SearchSpace.from_dict(arch['space'])


def _first_space_mismatch(ours: SearchSpace, theirs: Dict[str, Any]) -> str:
    mine = ours.to_dict()
    for key, value in mine.items():
        if key not in theirs:
            return f'space.{key} missing'
        if json.dumps(theirs[key]) != json.dumps(value):
            return f'space.{key}={theirs[key]!r}, expected {value!r}'
    return 'space_fingerprint differs'


def _check_layer(ly: Any, spec, num_layers: int, where: str,
                 fail: Callable[[str, str], None]) -> None:
    """One layer of an arch against its spec: its op, then its edges."""
    if not isinstance(ly, dict):
        fail(where, 'expected an object with "op" and "edges"')
    op = ly.get('op')
    try:
        parse_op(op)
    except ValueError as e:
        fail(f'{where}.op', str(e))
    if not op_allowed(op, spec.in_channels, spec.out_channels, spec.stride):
        fail(f'{where}.op', f"'skip' needs equal shapes, layer is "
             f'{spec.in_channels}->{spec.out_channels} channels, '
             f'stride {spec.stride}')
    if op not in spec.candidates:
        fail(f'{where}.op', f'{op!r} is not a candidate of this layer; '
             f'expected one of {list(spec.candidates)}')
    edges = ly.get('edges', [])
    if not isinstance(edges, list) or not all(
            isinstance(e, int) for e in edges):
        fail(f'{where}.edges', f'expected a list of layer indices, got '
             f'{edges!r}')
    for e in edges:
        if not 0 <= e < num_layers:
            fail(f'{where}.edges', f'edge from layer {e}, which does not '
                 f'exist (layers 0..{num_layers - 1})')
        if e not in spec.extra_edges:
            fail(f'{where}.edges', f'edge from layer {e} is not kept in the '
                 f'sparse super-network; kept: {list(spec.extra_edges)}')
    if len(set(edges)) != len(edges):
        fail(f'{where}.edges', f'duplicate edges {edges}')


def validate_arch(arch: Any, space: Optional[SearchSpace] = None,
                  source: str = '<arch dict>') -> Arch:
    """Check an arch against its space (or ``space``); one-line ArchError
    naming the source and the first offending field otherwise."""

    def fail(field: str, msg: str) -> None:
        raise ArchError(f'{source}: {field}: {msg}')

    if not isinstance(arch, dict):
        fail('<root>', f'expected a JSON object, got {type(arch).__name__}')
    if arch.get('format') != FORMAT:
        fail('format', f'expected {FORMAT!r}, got {arch.get("format")!r}')
    if arch.get('version') != VERSION:
        fail('version', f'expected {VERSION}, got {arch.get("version")!r}')
    if not isinstance(arch.get('space'), dict):
        fail('space', 'expected the search-space object')
    try:
        own = SearchSpace.from_dict(arch['space'])
    except (TypeError, ValueError, KeyError) as e:
        fail('space', str(e))
    if space is not None and own.fingerprint() != space.fingerprint():
        fail('space', 'arch is from another search space: '
             + _first_space_mismatch(space, arch['space']))
    space = own
    if arch.get('space_fingerprint') != space.fingerprint():
        fail('space_fingerprint', f'expected {space.fingerprint()!r}, got '
             f'{arch.get("space_fingerprint")!r}')
    layers = arch.get('layers')
    if not isinstance(layers, list) or len(layers) != space.num_layers:
        fail('layers', f'expected a list of {space.num_layers} layers, got '
             f'{len(layers) if isinstance(layers, list) else layers!r}')
    for i, (ly, spec) in enumerate(zip(layers, space.layers)):
        _check_layer(ly, spec, space.num_layers, f'layers[{i}]', fail)
    return arch


def load_arch(arch: Union[str, Arch],
              space: Optional[SearchSpace] = None) -> Arch:
    """Read and validate an arch from a path or a dict."""
    if isinstance(arch, dict):
        return validate_arch(arch, space)
    path = str(arch)
    if not osp.isfile(path):
        raise ArchError(f'{path}: arch file not found')
    with open(path) as f:
        text = f.read()
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise ArchError(f'{path}: malformed JSON at line {e.lineno} column '
                        f'{e.colno}: {e.msg}') from None
    return validate_arch(doc, space, source=path)


def save_arch(arch: Arch, path: str) -> None:
    """Validate, then write atomically."""
    atomic_write_json(path, validate_arch(arch))


def arch_edges(arch: Arch) -> List[List[int]]:
    return [list(ly['edges']) for ly in arch['layers']]


def arch_ops(arch: Arch) -> List[str]:
    return [ly['op'] for ly in arch['layers']]
