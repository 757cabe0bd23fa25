"""The rows of every comparison table: the same finetune budget and
held-out split for each; only where the starting network comes from
differs."""
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple


@dataclass(frozen=True)
class Row:
    """``arch``: which network ('hand', 'random', 'searched'); ``weights``:
    where its starting weights come from ('init', 'source', 'static',
    'adapted', 'nws', 'retrain': the arch trained alone on the source);
    ``search``: which searches it pays for."""
    key: str
    title: str
    arch: str
    weights: str
    search: Optional[str] = None  # None, 'nas' or 'nas+nws'
    short: str = ''  # its name in a verdict line
    # finetune the adapted heads and fresh ones, keep the better on the
    # search split (:mod:`.head_choice`)
    choose_heads: bool = False

    @property
    def adapted(self) -> bool:
        """Pays for the supernet's adaptation on the target: its weights
        come from the adapted supernet, or its arch from a search on it."""
        return self.weights in ('adapted', 'nws') or self.search is not None

    @property
    def backbone_only(self) -> bool:
        """Takes the backbone only (the source head is another task's)."""
        return self.weights in ('source', 'static', 'retrain')


ROWS = (
    Row('scratch', 'scratch (hand arch, random init)', 'hand', 'init',
        short='scratch'),
    Row('finetune', 'finetune (hand arch, source weights, no search)',
        'hand', 'source', short='finetune'),
    Row('static', 'static (hand arch trained alone on the source, '
        'finetuned)', 'hand', 'static', short='static'),
    Row('hand', 'hand arch from the adapted supernet', 'hand', 'adapted',
        short='hand'),
    Row('random', 'random arch + plain inheritance', 'random', 'adapted',
        short='random'),
    Row('nas_plain', 'NAS + plain inheritance', 'searched', 'adapted',
        'nas', short='NAS+plain'),
    Row('nas_nws', 'NAS + NWS', 'searched', 'nws', 'nas+nws',
        short='NAS+NWS', choose_heads=True),
)
ROW_KEYS = tuple(r.key for r in ROWS)

# Rows a report adds on request (``run_demo.py --extra-rows``): ablations
# that answer a user's question about the pipeline, not rows of the goal.
EXTRA_ROWS = (
    # Does the adaptation pay for the searched arch? Its backbone from the
    # source super-network (fresh heads), as the finetune row takes it.
    Row('nas_source', 'NAS arch, source weights (no adaptation)',
        'searched', 'source', 'nas', short='NAS arch from the source'),
    # What the paper's efficiency claim is measured against: NAS pipelines
    # such as DetNAS train the arch found for each target alone on the
    # source again (the static network's recipe and budget), then finetune
    # it. Its target compute includes that source training.
    Row('nas_retrain', 'NAS arch retrained on the source (DetNAS-style)',
        'searched', 'retrain', 'nas', short='DetNAS-style'),
)
EXTRA_ROW_KEYS = tuple(r.key for r in EXTRA_ROWS)
ALL_ROWS = ROWS + EXTRA_ROWS  # every row a report folder may hold


def table_rows(extra: Sequence[str] = ()) -> Tuple[Row, ...]:
    """The goal's rows, then the ``extra`` ones (keys of EXTRA_ROWS)."""
    unknown = [k for k in extra if k not in EXTRA_ROW_KEYS]
    if unknown:
        raise ValueError(f'extra rows: expected keys among '
                         f'{list(EXTRA_ROW_KEYS)}, got {unknown}')
    return ROWS + tuple(r for r in EXTRA_ROWS if r.key in extra)


@dataclass(frozen=True)
class Check:
    """One comparison of a report's verdict: ``left`` ``op`` ``right``
    (row keys) on the held-out ``metric`` mean, the mean ``flops`` or the
    mean target ``compute`` (``factor`` scales the right side)."""
    left: str
    op: str  # '>', '>=', '<', '<='
    right: str
    on: str = 'metric'
    factor: float = 1.0


# The goal's comparisons, in the verdict's order; a check whose rows a
# report lacks is left out (static: only with a static source; the
# DetNAS-style row: only on request). The rows of the goal without them
# must all be there for a verdict.
CHECKS = (
    Check('nas_nws', '>', 'static'),
    Check('nas_nws', '>', 'finetune'),
    Check('finetune', '>', 'scratch'),
    Check('nas_nws', '>=', 'nas_plain'),
    Check('nas_plain', '>=', 'random'),
    Check('nas_nws', '<=', 'hand', 'flops'),
    # the per-target source retraining the method saves
    Check('nas_nws', '>=', 'nas_retrain'),
    Check('nas_nws', '<', 'nas_retrain', 'compute', 0.75),
)
OPTIONAL_ROWS = ('static', 'nas_retrain')
