"""One live run per work_dir: two runs writing the same checkpoints, search
state and exports corrupt each other (an ``arch.json`` of one run beside
the ``subnet.pth`` of the other), and one run's start-up clean-up deletes
the other's temp files. The lock is an ``flock`` on a file in the work_dir
holding the owner's pid: the kernel drops it when the owner exits, however
it exits, so there is no stale lock to clean up and no race to take one
over."""
import fcntl
import os
import os.path as osp
import socket
from typing import Dict, Optional

LOCK_FILE = '.transnas_mm.lock'
# Set by torchrun / dist_train.sh, slurm and Open MPI before MMEngine runs.
RANK_VARS = ('RANK', 'LOCAL_RANK', 'SLURM_PROCID', 'OMPI_COMM_WORLD_RANK')
_held: Dict[str, int] = {}  # lock path -> open fd, for this process


class WorkDirBusy(RuntimeError):
    """Another live run holds the work_dir."""


def rank_zero() -> bool:
    """Whether this is rank 0 of a run (before the process group exists):
    only it takes the lock and writes the run's records."""
    return all(os.environ.get(var, '0') == '0' for var in RANK_VARS)


def hold_work_dir(work_dir: str) -> Optional[str]:
    """Lock ``work_dir`` for this process until it exits; refuse
    (``WorkDirBusy``, one line naming the folder and the owner's pid) while
    another live process holds it. Re-entrant within one process; a no-op
    on ranks other than 0. Returns the lock file's path."""
    if not rank_zero():
        return None
    os.makedirs(work_dir, exist_ok=True)
    path = osp.realpath(osp.join(work_dir, LOCK_FILE))
    if path in _held:
        return path
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        owner = os.read(fd, 200).decode(errors='replace').strip() or '?'
        os.close(fd)
        raise WorkDirBusy(
            f'{work_dir}: another run ({owner}) is using this work_dir; '
            f'expected one run per work_dir: wait for it to end, or give '
            f'this run another --work-dir') from None
    os.ftruncate(fd, 0)
    os.write(fd, f'pid {os.getpid()} on {socket.gethostname()}\n'.encode())
    _held[path] = fd  # kept open: closing it would release the lock
    return path


def release_work_dir(work_dir: str) -> None:
    """Give the lock back before the process ends (tests, notebooks)."""
    path = osp.realpath(osp.join(work_dir, LOCK_FILE))
    fd = _held.pop(path, None)
    if fd is not None:
        os.close(fd)
