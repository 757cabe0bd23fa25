"""What a saved search state was computed on, beyond the weights: the
search split's images and labels, and the source checkpoint the
super-network was built from. A resume on other data or from another
source would mix scores of two experiments; these digests let it be
refused, naming what changed."""
import hashlib
import os.path as osp
from typing import Any, Optional

import numpy as np

from ...utils.file_digest import file_digest

# Per-sample fields that decide a score: the labels (classification) and
# the boxes (detection).
LABEL_KEYS = ('gt_label', 'instances')


def _plain(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in sorted(obj.items())}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    return obj


def dataset_digest(dataset) -> Optional[str]:
    """sha256 over the split's samples in order: each image's bytes and
    its labels (not the paths: the same data moved elsewhere is the same
    split). None for a dataset that cannot list its samples."""
    if hasattr(dataset, 'full_init'):
        dataset.full_init()
    if not hasattr(dataset, 'get_data_info'):
        return None
    h = hashlib.sha256()
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        h.update(repr(_plain({k: info[k] for k in LABEL_KEYS
                              if k in info})).encode())
        path = info.get('img_path')
        if isinstance(path, str) and osp.isfile(path):
            h.update(file_digest(path).encode())
        else:
            h.update(repr(path).encode())
    return h.hexdigest()[:16]


def source_digest(module) -> Optional[str]:
    """Digest of the checkpoint a module's ``init_cfg`` loads (a local
    file), or None."""
    init_cfg = getattr(module, 'init_cfg', None)
    path = init_cfg.get('checkpoint') if isinstance(init_cfg, dict) \
        else None
    if isinstance(path, str) and osp.isfile(path):
        return file_digest(path)
    return None
