"""NAS + NWS's last weight choice: the adapted heads or fresh ones.

An adaptation can leave a detector's heads on a plateau that the row
finetune never leaves (Faster R-CNN, palette source, seed 0: 0.055 mAP on
the search split after adaptation; finetunes from it ended at 0.07 while
fresh heads on the source backbone reached 0.5). Which start trains better
is known only after training, so both are finetuned with the row's budget
and the one better on the search split is kept; ties keep the adapted
heads. The held-out split is tested for both and reported, never used to
choose. A user of the row pays both finetunes (its cost column does)."""
import os
import os.path as osp
from typing import Callable, Optional, Tuple

from ..search.scoring.head_start import HEADS, pick_heads
from ..utils.atomic_io import atomic_write_json, read_json
from .steps import Steps, say

CHOICE_FILE = 'heads.json'

# (variant folder, start checkpoint) -> (held-out metric, search-split
# metric, finetune seconds)
FinetuneVariant = Callable[[str, str],
                           Tuple[Optional[float], Optional[float], float]]


def finetune_better_heads(steps: Steps, name: str, rdir: str, load: str,
                          run: FinetuneVariant
                          ) -> Tuple[Optional[float], float, dict]:
    """Finetune from ``load`` (adapted heads) and from its backbone alone
    (fresh heads), each in ``rdir/<heads>_heads``; keep the better on the
    search split. Returns (held-out metric of the kept one, seconds of both
    finetunes, the choice as written to ``rdir/heads.json``)."""
    fresh = osp.join(rdir, 'fresh_heads_start.pth')
    if not osp.isfile(fresh):
        from ..apis import export_backbone_checkpoint
        os.makedirs(rdir, exist_ok=True)
        steps.forked(lambda: export_backbone_checkpoint(load, fresh),
                     fresh + '.log')
    heldout, search_split, seconds = {}, {}, 0.0
    for heads, start in zip(HEADS, (load, fresh)):
        heldout[heads], search_split[heads], secs = run(
            osp.join(rdir, f'{heads}_heads'), start)
        seconds += secs
    picked = pick_heads(search_split)
    choice = dict(picked=picked, search_split=search_split,
                  heldout=heldout, finetune_s=seconds)
    atomic_write_json(osp.join(rdir, CHOICE_FILE), choice)
    atomic_write_json(osp.join(rdir, 'heldout.json'), read_json(
        osp.join(rdir, f'{picked}_heads', 'heldout.json')))
    say(f'{name}: kept the {picked} heads (search split '
        + ' vs '.join(f'{h} {fmt_metric(search_split[h])}' for h in HEADS)
        + ')')
    return heldout[picked], seconds, choice


def fmt_metric(v: Optional[float]) -> str:
    return 'n/a' if v is None else f'{v:.4f}'
