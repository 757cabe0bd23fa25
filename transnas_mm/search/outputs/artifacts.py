"""Files a search leaves in ``work_dir/search/`` besides figures: the
logs, the Pareto front and the weight-source rows. All written atomically."""
from typing import Dict, List, Optional, Sequence

from ...space import Arch, arch_ops
from ...utils.atomic_io import atomic_write_json, atomic_write_text, to_json
from ..core.candidate import Candidate, pareto_front


def write_log(path: str, cands: Sequence[Candidate]) -> None:
    """``search_log.jsonl``: every candidate in evaluation order."""
    atomic_write_text(path, ''.join(to_json(c.to_dict()) + '\n'
                                    for c in cands))


def write_pareto(path: str, cands: Sequence[Candidate]) -> List[Candidate]:
    front = pareto_front(cands)
    atomic_write_json(path, [c.to_dict() for c in front])
    return front


def weight_source_rows(arch: Arch, best: Candidate,
                       plain: Optional[Candidate],
                       gains: Dict[int, float]) -> List[dict]:
    """Per layer: the chosen source, whether it differs from plain
    inheritance, and (greedy) how much its step gained."""
    rows = []
    for i, (src, op) in enumerate(zip(best.sources, arch_ops(arch))):
        rows.append(dict(layer=i, op=op, kind=src['kind'],
                         source_layer=src['layer'], source_op=src['op'],
                         changed=plain is not None and
                         src != plain.sources[i],
                         step_gain=gains.get(i)))
    return rows
