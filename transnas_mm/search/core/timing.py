"""Where a search step's wall time went (``timing.json`` in the search
folder): ``adapt`` (the target training before the searches), ``arch``
and ``weights`` (each search, its noise and export included), so a report
charges each row what a user pays for it. Parts add up over restarts: a
resumed step's time is paid too."""
import os
import os.path as osp
import time
from typing import Callable, Dict, TypeVar

from mmengine.dist import is_main_process

from ...utils.atomic_io import atomic_write_json, read_json
from ..outputs.names import TIMING

T = TypeVar('T')


def read_timing(out_dir: str) -> Dict[str, float]:
    """The recorded parts (seconds); {} when none was recorded."""
    path = osp.join(out_dir, TIMING)
    if not osp.isfile(path):
        return {}
    return read_json(path)


def add_time(out_dir: str, part: str, seconds: float) -> None:
    """Add ``seconds`` to ``part`` (rank 0 writes, atomically)."""
    if not is_main_process():
        return
    os.makedirs(out_dir, exist_ok=True)
    parts = read_timing(out_dir)
    parts[part] = parts.get(part, 0.0) + seconds
    atomic_write_json(osp.join(out_dir, TIMING), parts)


def timed(out_dir: str, part: str, work: Callable[[], T]) -> T:
    """``work()``, its wall time added to ``part``."""
    start = time.perf_counter()
    try:
        return work()
    finally:
        add_time(out_dir, part, time.perf_counter() - start)
