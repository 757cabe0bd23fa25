"""A file's content digest, cached by what changes when it is rewritten
(path, inode, size, mtime): a source checkpoint or a split's images are
digested by several checks of one run."""
import hashlib
import os
import os.path as osp
from typing import Dict, Tuple

# file -> digest, keyed by what changes when the file is rewritten: both
# search jobs (and a resume check) digest the same split and checkpoint,
# and a real-scale search split is thousands of images.
_DIGESTS: Dict[Tuple[str, int, int, int], str] = {}


def file_digest(path: str) -> str:
    """sha256 of a file's bytes (first 16 hex digits)."""
    st = os.stat(path)
    key = (osp.realpath(path), st.st_ino, st.st_size, st.st_mtime_ns)
    if key not in _DIGESTS:
        h = hashlib.sha256()
        with open(path, 'rb') as f:
            for block in iter(lambda: f.read(1 << 20), b''):
                h.update(block)
        _DIGESTS[key] = h.hexdigest()[:16]
    return _DIGESTS[key]
