"""Keep the search's fixed batches in memory: every candidate is calibrated
and scored on the same batches, so loading (decode, resize, collate) them
again per candidate is pure waste. The first full pass is kept when it fits
in ``max_bytes``; a bigger split streams as before."""
from typing import Any, Iterator, List, Optional

import torch
from mmengine.structures import BaseDataElement

DEFAULT_CACHE_MB = 512.0


def batch_bytes(obj: Any) -> int:
    """Bytes of the tensors in a collated batch (dicts, sequences, data
    samples); what a kept batch costs in memory."""
    if isinstance(obj, torch.Tensor):
        return obj.element_size() * obj.nelement()
    if isinstance(obj, dict):
        return sum(batch_bytes(v) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return sum(batch_bytes(v) for v in obj)
    if isinstance(obj, BaseDataElement):
        return sum(batch_bytes(v) for v in obj.all_values())
    return 0


class CachedLoader:
    """Iterates ``loader``; after the first *complete* pass, replays the
    same batch objects instead of loading them again (scores unchanged:
    the loaders it wraps are fixed, and a seeded calibration draws the same
    augmentations each pass). Over ``max_bytes`` (or 0): streams, nothing
    kept. Other attributes (``dataset``, ``batch_size``...) are the
    loader's."""

    def __init__(self, loader, max_bytes: float):
        self.loader = loader
        self.max_bytes = float(max_bytes)
        self._batches: Optional[List[Any]] = None
        self.too_big = self.max_bytes <= 0

    def __iter__(self) -> Iterator[Any]:
        if self._batches is not None:
            yield from self._batches
            return
        kept: List[Any] = []
        size = 0
        for data in self.loader:
            if not self.too_big:
                size += batch_bytes(data)
                if size > self.max_bytes:
                    self.too_big, kept = True, []
                else:
                    kept.append(data)
            yield data
        if not self.too_big:
            self._batches = kept  # reached only after a complete pass

    def __len__(self) -> int:
        return len(self.loader)

    def __getattr__(self, name: str) -> Any:
        if name == 'loader':  # not set yet (copy/unpickle): no recursion
            raise AttributeError(name)
        return getattr(self.loader, name)


def cached(loader, cache_mb: float = DEFAULT_CACHE_MB):
    """``loader`` kept in memory up to ``cache_mb`` MiB (0: as is)."""
    if cache_mb <= 0 or isinstance(loader, CachedLoader):
        return loader
    return CachedLoader(loader, cache_mb * 2**20)
