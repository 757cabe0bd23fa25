"""Every figure the package draws (search curve, Pareto front, weight
sources, the network), saved atomically as PNG."""
from typing import List, Sequence

from ...utils.atomic_io import atomic_write
from ..core.candidate import WORST, Candidate, pareto_front


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


KIND_COLOURS = dict(inherit='#4c72b0', source='#8172b3', layer='#55a868',
                    op='#dd8452', fresh='#c44e52')


def plot_weight_sources(path: str, rows: List[dict]) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(max(6, len(rows) * 0.6), 3))
    for r in rows:
        ax.bar(r['layer'], 1, color=KIND_COLOURS[r['kind']])
        label = r['kind'] if r['kind'] in ('inherit', 'source',
                                           'fresh') else \
            f"{r['kind']}\nL{r['source_layer']} {r['source_op']}"
        ax.text(r['layer'], 0.5, f"{r['op']}\n{label}", ha='center',
                va='center', rotation=90, fontsize=7, color='white')
    ax.set_xticks([r['layer'] for r in rows])
    ax.set_yticks([])
    ax.set_xlabel('layer')
    ax.set_title('where each layer\'s weights came from (NWS)')
    handles = [plt.Rectangle((0, 0), 1, 1, color=c)
               for c in KIND_COLOURS.values()]
    ax.legend(handles, list(KIND_COLOURS), ncol=4, fontsize=7,
              loc='upper center', bbox_to_anchor=(0.5, -0.25))
    save_figure(fig, path)
    plt.close(fig)


def plot_arch(path: str, arch: dict) -> None:
    """Layers left to right, op names in boxes, extra edges as arcs."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch
    layers = arch['layers']
    fig, ax = plt.subplots(figsize=(max(6, len(layers) * 0.9), 2.6))
    for i, ly in enumerate(layers):
        colour = '#dddddd' if ly['op'] == 'skip' else '#9ecae1'
        ax.add_patch(plt.Rectangle((i - 0.4, -0.3), 0.8, 0.6, color=colour))
        ax.text(i, 0, ly['op'].replace('mb_', ''), ha='center',
                va='center', fontsize=8)
        if i:
            ax.annotate('', (i - 0.4, 0), (i - 0.6, 0),
                        arrowprops=dict(arrowstyle='->', lw=0.8))
        for e in ly['edges']:
            ax.add_patch(FancyArrowPatch((e, 0.3), (i, 0.3),
                                         connectionstyle='arc3,rad=-0.4',
                                         arrowstyle='->', lw=0.8,
                                         color='#e6550d'))
    ax.set_xlim(-0.7, len(layers) - 0.3)
    ax.set_ylim(-0.6, 1.6)
    ax.axis('off')
    ax.set_title('searched network: ops and extra edges')
    save_figure(fig, path)
    plt.close(fig)
