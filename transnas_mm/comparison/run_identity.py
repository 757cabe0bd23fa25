"""What a target folder of a comparison was made from: the target
config's data (annotation files' digests, image folders' listings, splits
and classes), the source checkpoint and the budgets. ``--reuse PREV``
resumes PREV's adaptations and searches for this run's targets: on another
dataset with the same class count it would run without a word, so each
target folder records its identity and a reuse (or a rerun into the same
folder) compares, naming the first field that differs. The adaptation's
settings (model, optimiser, schedule) count too: a reused adaptation made
with others would be charged to this run."""
import hashlib
import json
import os
import os.path as osp
from typing import Any, Dict, Optional

from mmengine.config import Config

from ..utils.atomic_io import atomic_write_json, read_json
from ..utils.data_checks import LOADERS, model_num_classes
from ..utils.file_digest import file_digest

IDENTITY_FILE = 'identity.json'


def _folder_listing(folder: str) -> str:
    """Digest of a folder's files: relative paths and sizes."""
    h = hashlib.sha256()
    for root, dirs, files in sorted(os.walk(folder)):
        dirs.sort()
        for name in sorted(files):
            path = osp.join(root, name)
            h.update(f'{osp.relpath(path, folder)}\t'
                     f'{osp.getsize(path)}\n'.encode())
    return h.hexdigest()[:16]


def _files_of(node: Any, root: str, out: Dict[str, str]) -> None:
    """Digest every local file or folder a dataset cfg names."""
    if isinstance(node, dict):
        for value in node.values():
            _files_of(value, root, out)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _files_of(value, root, out)
    elif isinstance(node, str) and node and '://' not in node:
        path = node if osp.isabs(node) else osp.join(root, node)
        if osp.isfile(path):
            out[node] = file_digest(path)
        elif osp.isdir(path):
            out[node] = _folder_listing(path)


def _split_identity(dataset: Any, root: str) -> str:
    """Digest of one dataloader's dataset: its settings but the pipeline,
    and the contents of the files and folders they name."""
    node = _without_pipeline(dataset)
    files: Dict[str, str] = {}
    _files_of(node, root, files)
    text = json.dumps(dict(dataset=node, files=files), sort_keys=True,
                      default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _without_pipeline(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _without_pipeline(v) for k, v in node.items()
                if k != 'pipeline'}
    if isinstance(node, (list, tuple)):
        return [_without_pipeline(v) for v in node]
    return node


def target_identity(config: str, source: Optional[str], quick: bool,
                    root: str) -> Dict[str, Any]:
    """The identity of a target run from search config ``config`` (paths
    relative to ``root``), source checkpoint (path or packaged name) and
    budget mode."""
    cfg = Config.fromfile(osp.join(root, config))
    data = {loader: _split_identity(cfg[loader].get('dataset'), root)
            for loader in LOADERS if loader in cfg}
    classes = model_num_classes(cfg)
    if source is not None and osp.isfile(source):
        source = f'{osp.basename(source)} sha256 {file_digest(source)}'
    return dict(config=config, **{f'data: {k}': v for k, v in data.items()},
                num_classes=classes[1] if classes else None,
                source=source, train_cfg=dict(cfg.get('train_cfg') or {}),
                adaptation=_adaptation_digest(cfg), quick=quick)


def _adaptation_digest(cfg: Config) -> str:
    """Digest of what the adaptation trains and how: the model (but the
    source checkpoint's path, recorded as ``source``), the optimiser and
    the schedule. A search variant changes only hook settings."""
    model = json.loads(json.dumps(cfg.get('model') or {}, default=str))
    (model.get('backbone') or {}).pop('init_cfg', None)
    text = json.dumps(dict(model=model, optim=cfg.get('optim_wrapper'),
                           schedule=cfg.get('param_scheduler')),
                      sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def check_identity(base: str, identity: Dict[str, Any], what: str) -> None:
    """One-line ``ValueError`` if target folder ``base`` records another
    identity (``what``: how the user pointed at it, for the message)."""
    path = osp.join(base, IDENTITY_FILE)
    if not osp.isfile(path):
        if what.startswith('--reuse'):
            raise ValueError(f'{what}: {path}: not found; expected the '
                             f'target folder of a run that records what it '
                             f'was made from: rerun it, or run without '
                             f'--reuse')
        return
    saved = read_json(path)
    for field, value in identity.items():
        if field == 'config':
            continue  # the same target under another file name is fine
        was = json.loads(json.dumps(saved.get(field), default=str))
        now = json.loads(json.dumps(value, default=str))
        if was != now:
            raise ValueError(
                f'{what}: {base}: {field} is {was!r} there, {now!r} for '
                f'{identity["config"]}; expected the same target (data, '
                f'classes, source, budgets): use another --out' +
                (', or run without --reuse' if what.startswith('--reuse')
                 else ''))


def record_identity(base: str, identity: Dict[str, Any]) -> None:
    os.makedirs(base, exist_ok=True)
    atomic_write_json(osp.join(base, IDENTITY_FILE), identity)
