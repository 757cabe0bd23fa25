"""Which report rows start their finetune from the same network. Two rows
of one seed whose arch and starting weights are equal (NAS + plain when
the search returned the hand chain or the random row's arch) would repeat
one finetune to the digit: the later row takes the earlier one's result
instead of paying for it again. NAS + NWS with plain inheritance kept is
not such a pair: its export carries the BN statistics recalibrated by the
search, and the digest counts every tensor."""
import hashlib
import json
import os.path as osp
from typing import Dict, Optional

from ..utils.atomic_io import atomic_write_json, read_json

DIGEST_FILE = 'start_digest.json'


def start_digest(arch_file: str, checkpoint: str) -> str:
    """Hash of the arch (its JSON, key order aside) and of every tensor of
    the checkpoint's ``state_dict`` (names, dtypes, shapes, values); the
    ``meta`` block (paths, scores) does not count."""
    import torch
    from ..utils import safe_torch_load
    h = hashlib.sha256()
    with open(arch_file) as f:
        h.update(json.dumps(json.load(f), sort_keys=True).encode())
    state = safe_torch_load(checkpoint, map_location='cpu')['state_dict']
    for name in sorted(state):
        t = state[name]
        h.update(f'{name}|{t.dtype}|{tuple(t.shape)}'.encode())
        h.update(t.detach().reshape(-1).contiguous().view(torch.uint8)
                 .numpy().tobytes())
    return h.hexdigest()


def write_start_digest(rdir: str, arch_file: str, checkpoint: str) -> None:
    atomic_write_json(osp.join(rdir, DIGEST_FILE), dict(
        digest=start_digest(arch_file, checkpoint), arch=arch_file,
        checkpoint=checkpoint))


def read_start_digest(rdir: str) -> str:
    return read_json(osp.join(rdir, DIGEST_FILE))['digest']


class Twins:
    """Per seed, the first row folder seen with each start digest."""

    def __init__(self) -> None:
        self.first: Dict[str, str] = {}

    def twin(self, digest: str, rdir: str) -> Optional[str]:
        """The earlier row folder with this digest, else None (and
        ``rdir`` becomes the one later rows match)."""
        earlier = self.first.setdefault(digest, rdir)
        return None if earlier == rdir else earlier
