"""Files a search leaves in ``work_dir/search/``: the log, the Pareto
front and their plots. All written atomically."""
import json
from typing import List, Sequence

from ..utils.atomic_io import atomic_write, atomic_write_json, atomic_write_text
from .evolution import WORST, Candidate, pareto_front


def write_log(path: str, cands: Sequence[Candidate]) -> None:
    """``search_log.jsonl``: every candidate in evaluation order."""
    atomic_write_text(path, ''.join(json.dumps(c.to_dict()) + '\n'
                                    for c in cands))


def write_pareto(path: str, cands: Sequence[Candidate]) -> List[Candidate]:
    front = pareto_front(cands)
    atomic_write_json(path, [c.to_dict() for c in front])
    return front


def save_figure(fig, path: str) -> None:
    """Save a matplotlib figure atomically."""
    atomic_write(path, lambda tmp: fig.savefig(tmp, format='png', dpi=100,
                                               bbox_inches='tight'))


def plot_search_curve(path: str, cands: Sequence[Candidate],
                      metric_key: str) -> None:
    """Every candidate's score per generation, and the best so far."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator
    ok = [c for c in cands if c.score > WORST]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.scatter([c.generation for c in ok], [c.score for c in ok], s=12,
               alpha=0.5, label='candidates')
    gens = sorted({c.generation for c in cands})
    best, curve = WORST, []
    for g in gens:
        best = max([best] + [c.score for c in ok if c.generation == g])
        curve.append(best)
    ax.plot(gens, curve, 'r-o', label='best so far')
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel('generation')
    ax.set_ylabel(metric_key)
    ax.legend()
    ax.set_title('architecture search')
    save_figure(fig, path)
    plt.close(fig)


def plot_pareto(path: str, cands: Sequence[Candidate],
                metric_key: str) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    ok = [c for c in cands if c.score > WORST]
    front = pareto_front(ok)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.scatter([c.flops / 1e6 for c in ok], [c.score for c in ok], s=12,
               alpha=0.4, label='candidates')
    ax.plot([c.flops / 1e6 for c in front], [c.score for c in front],
            'r-o', label='Pareto front')
    ax.set_xlabel('MFLOPs')
    ax.set_ylabel(metric_key)
    ax.legend()
    save_figure(fig, path)
    plt.close(fig)
