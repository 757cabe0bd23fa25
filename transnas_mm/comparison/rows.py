"""The rows of every comparison table: the same finetune budget and
held-out split for each; only where the starting network comes from
differs."""
from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class Row:
    """``arch``: which network ('hand', 'random', 'searched'); ``weights``:
    where its starting weights come from ('init', 'source', 'static',
    'adapted', 'nws'); ``search``: which searches it pays for."""
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
        """Pays for the supernet's adaptation on the target."""
        return self.weights in ('adapted', 'nws')

    @property
    def backbone_only(self) -> bool:
        """Takes the backbone only (the source head is another task's)."""
        return self.weights in ('source', 'static')


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
