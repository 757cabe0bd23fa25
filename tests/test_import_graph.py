"""The package's layers import only downward and no module imports itself
back through others: what a reader can rely on when changing one layer.
Every ``import`` counts, those inside functions too (a lazy import is
still a dependency)."""
import ast
import os
import os.path as osp
from typing import Dict, List, Set

from conftest import ROOT

PACKAGE = osp.join(ROOT, 'transnas_mm')
# Lowest first; a sub-package may import its own layer or any lower one.
LAYERS = [
    {'utils', 'registry', 'version'},
    {'space'},
    {'models', 'datasets'},
    {'evaluation'},
    {'search'},
    {'engine'},
    {'hooks'},
    {''},  # the package itself: registers hooks, models, datasets, loops
    {'apis'},
    {'comparison'},
]


def _module_name(path: str) -> str:
    rel = osp.relpath(path, ROOT)[:-3].replace(os.sep, '.')
    return rel[:-len('.__init__')] if rel.endswith('.__init__') else rel


def import_graph() -> Dict[str, Set[str]]:
    """module -> the transnas_mm modules it imports (the deepest module
    that exists: ``from ..space.ops import x`` is ``transnas_mm.space.ops``,
    ``from ..space import x`` the ``transnas_mm.space`` package)."""
    modules = {}
    for folder, _, files in os.walk(PACKAGE):
        for name in files:
            if name.endswith('.py'):
                path = osp.join(folder, name)
                modules[_module_name(path)] = path
    graph: Dict[str, Set[str]] = {}
    for mod, path in modules.items():
        package = mod if path.endswith('__init__.py') else \
            mod.rsplit('.', 1)[0]
        found = set()
        for node in ast.walk(ast.parse(open(path).read())):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split('.')[:len(package.split('.')) -
                                              node.level + 1]
                    target = '.'.join(base + ([node.module]
                                              if node.module else []))
                else:
                    target = node.module or ''
                names = [f'{target}.{a.name}' for a in node.names]
                found |= {n if n in modules else target for n in names}
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names}
        graph[mod] = {t for t in found if t in modules and t != mod}
    return graph


def _layer(module: str) -> int:
    parts = module.split('.')
    top = parts[1] if len(parts) > 1 else ''
    for i, names in enumerate(LAYERS):
        if top in names:
            return i
    raise AssertionError(f'{module}: in no layer of LAYERS')


def test_layers_import_only_downward():
    upward = [f'{m} -> {t}' for m, targets in import_graph().items()
              for t in targets if _layer(t) > _layer(m)]
    assert not upward, upward


def _cycles(graph: Dict[str, Set[str]]) -> List[List[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on: Set[str] = set()
    out: List[List[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles_between_modules():
    """A package's ``__init__`` re-exporting its modules is not a cycle:
    edges from a module to its own package's ``__init__`` are the
    re-export direction's mirror and are left out."""
    graph = import_graph()
    pruned = {m: {t for t in ts if not m.startswith(t + '.')}
              for m, ts in graph.items()}
    assert not _cycles(pruned), _cycles(pruned)


def test_the_graph_is_read():
    """The checks above see real edges (a parser that found none would
    pass them)."""
    graph = import_graph()
    assert 'transnas_mm.space' in graph['transnas_mm.models.sparse_supernet']
    assert 'transnas_mm.comparison.row_finetune' in \
        graph['transnas_mm.comparison.rank_study']
    assert sum(len(t) for t in graph.values()) > 200
