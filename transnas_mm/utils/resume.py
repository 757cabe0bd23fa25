"""Which checkpoint a resume starts from."""
import os.path as osp
from typing import Optional


def latest_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint ``work_dir/last_checkpoint`` names, or None when there
    is none (a first run: nothing to resume, nothing printed). A pointer to
    a missing file is an error, not a silent fresh start."""
    pointer = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(pointer):
        return None
    with open(pointer) as f:
        path = f.read().strip()
    if not path:
        return None
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{pointer}: names {path}, which does not exist (a kill during '
            f"MMEngine CheckpointHook's rotation?); expected a complete "
            f'checkpoint: write the path of one into it, or delete it to '
            f'start over')
    return path
