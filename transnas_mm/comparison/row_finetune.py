"""A row's finetune and test: ``tools/train.py`` with the target's one
finetune budget, then ``tools/test.py`` on the held-out (or search)
split, each a resumable step; a row whose start network equals another's
takes that row's result."""
import os.path as osp
from typing import List, Optional, Tuple

from ..utils.atomic_io import atomic_write_json, read_json
from .budgets import quick
from .steps import Steps, last_checkpoint, say
from .target_spec import TargetSpec


def finetune_and_test(steps: Steps, name: str, spec: TargetSpec, rdir: str,
                      finetune_cfg: str, arch: str, load: Optional[str],
                      seed: int, fast: bool, twin: Optional[str] = None
                      ) -> Tuple[Optional[float], float]:
    """Finetune ``arch`` from ``load`` (None: random init) with the target's
    one finetune budget, then test it on the held-out split. Returns the
    held-out metric and the finetune seconds. ``twin``: a row folder of the
    same seed that started from the same network; its result and finetune
    seconds are this row's (see :mod:`.start_digest`)."""
    if twin is not None:
        return shared_result(name, spec, rdir, twin)
    seconds = finetune(steps, name, spec, rdir, finetune_cfg, arch, load,
                       seed, fast)
    return score(steps, name, spec, rdir, finetune_cfg, arch, seed, fast,
                 'test'), seconds


def row_options(spec: TargetSpec, arch: str, load: Optional[str], seed: int,
                fast: bool) -> List[str]:
    return ['--cfg-options', f'model.backbone.arch={arch}',
            f'load_from={load}', f'randomness.seed={seed}'
            ] + quick('finetune', spec.task, fast)


def finetune(steps: Steps, name: str, spec: TargetSpec, rdir: str,
             finetune_cfg: str, arch: str, load: Optional[str], seed: int,
             fast: bool) -> float:
    """``tools/train.py`` with the target's finetune budget into
    ``rdir/finetune``; returns its seconds."""
    return steps.once(
        osp.join(rdir, 'finetune.done'), f'{name}: finetune',
        steps.script('tools/train.py', finetune_cfg, '--work-dir',
                     osp.join(rdir, 'finetune'), '--resume',
                     *row_options(spec, arch, load, seed, fast)),
        osp.join(rdir, 'finetune.log'))


# tools/test.py --split: the file each split's metrics go to
SPLIT_FILES = dict(test='heldout.json', val='search_split.json')


def score(steps: Steps, name: str, spec: TargetSpec, rdir: str,
          finetune_cfg: str, arch: str, seed: int, fast: bool,
          split: str) -> Optional[float]:
    """The finetuned ``rdir`` network's metric on the held-out split
    (``'test'``) or on the search split (``'val'``)."""
    result = osp.join(rdir, SPLIT_FILES[split])
    tag = 'test' if split == 'test' else 'search_split'
    title = 'held-out test' if split == 'test' else 'search-split test'
    steps.once(osp.join(rdir, f'{tag}.done'), f'{name}: {title}',
               steps.script('tools/test.py', finetune_cfg,
                            last_checkpoint(osp.join(rdir, 'finetune')),
                            '--work-dir', osp.join(rdir, tag),
                            '--out-metrics', result, '--split', split,
                            *row_options(spec, arch, None, seed, fast)),
               osp.join(rdir, f'{tag}.log'))
    return read_json(result).get(spec.metric)


def shared_result(name: str, spec: TargetSpec, rdir: str, twin: str
                  ) -> Tuple[Optional[float], float]:
    """A row whose start network equals ``twin``'s: its held-out result is
    copied (``shared.json`` says from where), the seconds are the twin's
    (a user of this row pays that finetune)."""
    result = osp.join(rdir, 'heldout.json')
    if osp.isfile(result):
        say(f'{name}: done already (the finetune of {osp.basename(twin)})')
    else:
        say(f'{name}: starts from the same network as '
            f'{osp.basename(twin)} (arch and weights): its finetune and '
            f'held-out result are reused')
        atomic_write_json(osp.join(rdir, 'shared.json'),
                          dict(twin=osp.abspath(twin)))
        atomic_write_json(result, read_json(osp.join(twin, 'heldout.json')))
    seconds = read_json(osp.join(twin, 'finetune.done'))['seconds']
    return read_json(result).get(spec.metric), seconds
