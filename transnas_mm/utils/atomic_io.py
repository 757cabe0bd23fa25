"""Write files atomically (temp file in the same folder + rename), so a
crash never leaves a half-written file behind, and a rerun removes the
temp files a kill left (:func:`remove_stale_temps`)."""
import glob
import io
import json
import math
import os
import os.path as osp
import tempfile
from typing import Any, Callable, List

import torch

TEMP_SUFFIX = '.transnas.tmp'


def _umask_mode() -> int:
    """The mode ``open()`` would give a new file (0666 minus the umask);
    ``mkstemp`` makes 0600 files, unreadable to a shared work dir."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write(path: str, write: Callable[[str], None]) -> None:
    """Call ``write(tmp)`` on a temp file next to ``path``, then rename it
    to ``path``: readers see the old file or the whole new one."""
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix='.' + osp.basename(path),
                               suffix=TEMP_SUFFIX)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, _umask_mode())
        os.replace(tmp, path)
    except OSError as e:
        _remove(tmp)
        raise save_error(path, e) from None
    except BaseException:
        _remove(tmp)
        raise


def _remove(tmp: str) -> None:
    if osp.exists(tmp):
        os.remove(tmp)


def save_error(path: str, err: OSError) -> OSError:
    """A one-line error for a failed save: the file, the OS cause (e.g.
    ``No space left on device``) and that the previous file is intact."""
    cause = err.strerror or str(err).splitlines()[0]
    return type(err)(err.errno, f'{path}: could not save it: {cause}; the '
                     f'previous file (if any) is left as it was')


def remove_stale_temps(folder: str) -> List[str]:
    """Delete the temp files of :func:`atomic_write` that a kill left in
    ``folder``; call it before writing there again (one writer)."""
    stale = sorted(glob.glob(osp.join(folder, '.*' + TEMP_SUFFIX)))
    for path in stale:
        os.remove(path)
    return stale


def atomic_write_bytes(path: str, data: bytes) -> None:
    def write(tmp: str) -> None:
        with open(tmp, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    atomic_write(path, write)


def atomic_write_text(path: str, text: str) -> None:
    atomic_write_bytes(path, text.encode())


def finite_or_null(obj: Any) -> Any:
    """``obj`` with every NaN/inf float replaced by None: what strict JSON
    parsers accept (a stage or a metric that could not be computed)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite_or_null(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite_or_null(v) for v in obj]
    return obj


def to_json(obj: Any, **kwargs) -> str:
    """Strict JSON (non-finite floats as null)."""
    return json.dumps(finite_or_null(obj), allow_nan=False, **kwargs)


def atomic_write_json(path: str, obj: Any) -> None:
    atomic_write_text(path, to_json(obj, indent=2, sort_keys=False) + '\n')


def read_json(path: str) -> Any:
    """A JSON file this project wrote back (a state, a timing, a result).
    A truncated or malformed one (a kill before writes were atomic, a full
    disk) is refused in one line naming it and how to recover."""
    with open(path) as f:
        text = f.read()
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(
            f'{path}: malformed JSON at line {e.lineno} column {e.colno} '
            f'({e.msg}); delete it and rerun: the step that writes it runs '
            f'again') from None


def nonfinite_tensors(obj: Any, prefix: str = '') -> List[str]:
    """Names of the floating tensors holding NaN/inf inside ``obj`` (a
    tensor, or dicts/lists of them, e.g. a state dict)."""
    if isinstance(obj, torch.Tensor):
        bad = obj.is_floating_point() and not bool(torch.isfinite(obj).all())
        return [prefix or '<tensor>'] if bad else []
    if isinstance(obj, dict):
        return [n for k, v in obj.items()
                for n in nonfinite_tensors(v, f'{prefix}.{k}' if prefix
                                           else str(k))]
    if isinstance(obj, (list, tuple)):
        return [n for i, v in enumerate(obj)
                for n in nonfinite_tensors(v, f'{prefix}[{i}]')]
    return []


def atomic_torch_save(obj: Any, path: str) -> None:
    """``torch.save`` atomically; a checkpoint with a non-finite tensor is
    refused (nothing is written): a diverged network is never exported."""
    bad = nonfinite_tensors(obj)
    if bad:
        raise FloatingPointError(
            f'{path}: {len(bad)} tensor(s) with NaN/inf (first: {bad[0]}); '
            f'refusing to write a diverged network')
    # Serialised in memory first (as MMEngine's save_checkpoint does): a
    # write error then surfaces as the OS error it is (torch's own file
    # writer reports a full disk as "unexpected pos").
    with io.BytesIO() as buf:
        torch.save(obj, buf)
        atomic_write_bytes(path, buf.getvalue())
