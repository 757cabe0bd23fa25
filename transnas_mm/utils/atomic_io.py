"""Write files atomically (temp file in the same folder + rename), so a
crash never leaves a half-written file behind."""
import json
import os
import os.path as osp
import tempfile
from typing import Any, Callable

import torch


def _atomic(path: str, write: Callable[[str], None]) -> None:
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix='.' + osp.basename(path),
                               suffix='.tmp')
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def atomic_write_text(path: str, text: str) -> None:
    def write(tmp: str) -> None:
        with open(tmp, 'w') as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
    _atomic(path, write)


def atomic_write_json(path: str, obj: Any) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=False) + '\n')


def atomic_torch_save(obj: Any, path: str) -> None:
    _atomic(path, lambda tmp: torch.save(obj, tmp))
