"""Refuse a search or held-out split that shares images with the training
split: every number measured on it would be measured on images the model
trained on (inflated, and silently so). Images are the same when they are
one file (path, symlink or hard link) or have the same bytes (a copy under
another name); digests are taken only of files whose size some file of the
other split shares."""
import contextlib
import io
import os
from collections import defaultdict
from typing import Dict, Iterable, List, Optional, Tuple

from mmengine.registry import DATASETS, DefaultScope

from .file_digest import file_digest

# More candidate files than this are compared by identity only.
MAX_DIGESTS = 20000


def dataset_images(ds_cfg: dict, scope: Optional[str]) -> Optional[List[str]]:
    """The image paths a dataset config reads (its ``indices`` applied), by
    building it through the registry with an empty pipeline; None when it
    cannot be built here (the Runner reports why)."""
    cfg = dict(ds_cfg, pipeline=[], lazy_init=False)
    cfg.pop('serialize_data', None)
    try:
        # pycocotools prints its progress: not this check's to show
        with DefaultScope.overwrite_default_scope(scope), \
                contextlib.redirect_stdout(io.StringIO()):
            ds = DATASETS.build(cfg)
        return [ds.get_data_info(i)['img_path'] for i in range(len(ds))]
    except Exception:  # noqa: BLE001  (the data checks and Runner say why)
        return None


def _stats(paths: Iterable[str]) -> List[Tuple[str, os.stat_result]]:
    """One ``os.stat`` per readable file (its identity and size), in
    order."""
    out = []
    for p in paths:
        try:
            out.append((p, os.stat(p)))
        except OSError:
            pass
    return out


def _by_size(stats: List[Tuple[str, os.stat_result]]
             ) -> Dict[int, List[str]]:
    out: Dict[int, List[str]] = defaultdict(list)
    for p, st in stats:
        out[st.st_size].append(p)
    return out


def shared_images(train: List[str], other: List[str]
                  ) -> List[Tuple[str, str, str]]:
    """(image of ``other``, image of ``train``, 'same file' | 'same
    content') for each image of ``other`` that is also a training image."""
    train_st, other_st = _stats(train), _stats(other)
    by_id = {}
    for p, st in train_st:
        by_id.setdefault((st.st_dev, st.st_ino), p)
    found, rest = [], []
    for p, st in other_st:
        twin = by_id.get((st.st_dev, st.st_ino))
        if twin is not None:
            found.append((p, twin, 'same file'))
        else:
            rest.append((p, st))
    train_sizes, rest_sizes = _by_size(train_st), _by_size(rest)
    common = [s for s in rest_sizes if s in train_sizes]
    if sum(len(train_sizes[s]) + len(rest_sizes[s])
           for s in common) > MAX_DIGESTS:
        return found
    for size in common:
        by_digest = {}
        for p in train_sizes[size]:
            by_digest.setdefault(file_digest(p), p)
        for p in rest_sizes[size]:
            twin = by_digest.get(file_digest(p))
            if twin is not None:
                found.append((p, twin, 'same content'))
    return found


def overlap_message(field: str, train_field: str, total: int,
                    shared: List[Tuple[str, str, str]]) -> str:
    """The one-line refusal for ``shared`` of ``total`` images."""
    path, twin, how = shared[0]
    return (f'{field}: {len(shared)} of {total} images are also training '
            f'images of {train_field} (e.g. {path} and {twin}: {how}); '
            f'expected a split disjoint from the training split: numbers '
            f'measured on training images are inflated')
