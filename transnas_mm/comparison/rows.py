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
    Row('scratch', 'scratch (hand arch, random init)', 'hand', 'init'),
    Row('finetune', 'finetune (hand arch, source weights, no search)',
        'hand', 'source'),
    Row('static', 'static (hand arch trained alone on the source, '
        'finetuned)', 'hand', 'static'),
    Row('hand', 'hand arch from the adapted supernet', 'hand', 'adapted'),
    Row('random', 'random arch + plain inheritance', 'random', 'adapted'),
    Row('nas_plain', 'NAS + plain inheritance', 'searched', 'adapted',
        'nas'),
    Row('nas_nws', 'NAS + NWS', 'searched', 'nws', 'nas+nws',
        choose_heads=True),
)
ROW_KEYS = tuple(r.key for r in ROWS)

# Rows a report adds on request (``run_demo.py --extra-rows``): ablations
# that answer a user's question about the pipeline, not rows of the goal.
EXTRA_ROWS = (
    # Does the adaptation pay for the searched arch? Its backbone from the
    # source super-network (fresh heads), as the finetune row takes it.
    Row('nas_source', 'NAS arch, source weights (no adaptation)',
        'searched', 'source', 'nas'),
    # What the paper's efficiency claim is measured against: NAS pipelines
    # such as DetNAS train the arch found for each target alone on the
    # source again (the static network's recipe and budget), then finetune
    # it. Its target compute includes that source training.
    Row('nas_retrain', 'NAS arch retrained on the source (DetNAS-style)',
        'searched', 'retrain', 'nas'),
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
