"""A search variant measured against an earlier run of the same comparison
(``run_demo.py --reuse PREV --rerun weights|searches --search-options
...``).

Why: two search settings are compared by the held-out result of what
each finds after the shared finetune, over several search seeds.
Everything else must be equal, and rerunning the sources, the
adaptations and the rows that do not depend on a search costs most of a
run and only adds noise. So the variant's folder starts as a copy of
PREV's: the sources are linked, each target's adaptation checkpoints and
non-search rows are copied, and only the searches named by ``rerun`` and
the two NAS rows run again. Each search step resumes (the demo search
configs set ``resume=True``): the adaptation loads from its checkpoint
and a search kept from PREV resumes as finished, giving the same outputs.

Its cost is charged as a fresh run of the variant would be: the
adaptation's time and a kept search's time are PREV's, a rerun search's
its own (``timing.json``, and the step's seconds in ``<step>.done``)."""
import glob
import os
import os.path as osp
import shutil
from typing import Sequence

from ..search.core.timing import TIMING, read_timing
from ..search.outputs.names import (FINETUNE_CONFIG, SUBNET, SUBNET_MODEL,
                                    WEIGHT_FIGURE, WEIGHT_LOG, WEIGHT_SOURCES,
                                    WEIGHT_STATE)
from ..utils.atomic_io import atomic_write_json, read_json
from .rows import ALL_ROWS
from .source_names import SOURCE_FILES

# --rerun mode -> the timing parts (searches) it runs again
RERUN_PARTS = dict(weights=('weights', ), searches=('arch', 'weights'))
RERUN = tuple(RERUN_PARTS)
PARTS = ('adapt', 'arch', 'weights')
# the outputs of the weight search in a search folder (the arch search's
# resume writes its own exports again)
WEIGHT_OUTPUTS = (WEIGHT_STATE, WEIGHT_LOG, WEIGHT_SOURCES,
                  WEIGHT_FIGURE, SUBNET, SUBNET_MODEL,
                  FINETUNE_CONFIG)
REUSED = '{}.reused.json'  # per search step: PREV's times, until settled
SEARCH_HOOKS = ('custom_hooks.ArchSearchHook.',
                'custom_hooks.WeightSearchHook.')
# search-hook keys a variant must not set: they change what other rows get
# (the random row's draw, the rows' finetune) or the per-seed search seed
NOT_A_SEARCH_SETTING = {
    'constraints': "the random row draws under the config's constraints: "
                   'set them in the search config (a new comparison)',
    'input_shape': "the random row's FLOPs limits are at the config's "
                   'input_shape: set it in the search config',
    'finetune': 'every row trains with the finetune the config writes: '
                'change it in the search config (a new comparison)',
    'seed': 'run_demo.py gives each search seed itself: use --seeds N',
}


def check_search_options(options: Sequence[str]) -> None:
    """One-line ValueError for a ``--search-options`` entry that is not a
    search setting: a variant compares searches with every row's data,
    budget and random draw equal."""
    for opt in options:
        key = opt.split('=', 1)[0]
        if '=' not in opt or not key:
            raise ValueError(f'--search-options: {opt!r}: expected KEY=VALUE')
        hook = next((h for h in SEARCH_HOOKS if key.startswith(h)), None)
        if hook is None:
            raise ValueError(
                f'--search-options: {key}: expected a key under '
                f'{" or ".join(h[:-1] for h in SEARCH_HOOKS)} (a variant '
                f'changes search settings only)')
        field = key[len(hook):].split('.', 1)[0]
        if field in NOT_A_SEARCH_SETTING:
            raise ValueError(
                f'--search-options: {key}: not a search setting: '
                f'{NOT_A_SEARCH_SETTING[field]}')


def search_steps(base: str):
    """The search step names of a target folder: search, search_seed1..."""
    return sorted(osp.basename(d)[:-len('.done')]
                  for d in glob.glob(osp.join(base, 'search*.done')))


def reuse_run(prev: str, out: str, keys: Sequence[str], rerun: str) -> None:
    """Prepare ``out`` from the finished run ``prev`` for targets ``keys``
    (done once per target: a second call finds the copy and keeps it)."""
    if rerun not in RERUN:
        raise ValueError(f'--rerun: expected one of {list(RERUN)}, got '
                         f'{rerun!r}')
    if not osp.isdir(prev):
        raise FileNotFoundError(f'--reuse: {prev}: no such folder; expected '
                                f'the --out folder of a finished run')
    prev, out = osp.abspath(prev), osp.abspath(out)
    os.makedirs(out, exist_ok=True)
    for name in SOURCE_FILES:
        if osp.exists(osp.join(prev, name)) and \
                not osp.lexists(osp.join(out, name)):
            os.symlink(osp.join(prev, name), osp.join(out, name))
    search_rows = tuple(f'{r.key}_seed*' for r in ALL_ROWS if r.search)
    for key in keys:
        src, dst = osp.join(prev, key), osp.join(out, key)
        if osp.isdir(dst):
            continue  # copied by an earlier call of this variant
        if not search_steps(src):
            raise FileNotFoundError(
                f'--reuse: {src}: no finished search step (search.done); '
                f'expected a target folder of a finished run')
        shutil.rmtree(dst + '.tmp', ignore_errors=True)  # a killed copy
        shutil.copytree(src, dst + '.tmp', symlinks=True,
                        ignore=shutil.ignore_patterns(*search_rows,
                                                      'rank_study'))
        for name in search_steps(dst + '.tmp'):
            _forget_search(dst + '.tmp', name, rerun, src, dst)
        os.replace(dst + '.tmp', dst)


def _forget_search(base: str, name: str, rerun: str, src: str,
                   dst: str) -> None:
    """Drop what the step must redo; record PREV's times for ``settle``."""
    found = osp.join(base, name, 'search')
    seconds = read_json(osp.join(base, f'{name}.done'))['seconds']
    parts = read_timing(found)
    atomic_write_json(osp.join(base, REUSED.format(name)),
                      dict(seconds=seconds, timing=parts, rerun=rerun))
    os.remove(osp.join(base, f'{name}.done'))
    if rerun == 'searches':
        shutil.rmtree(found)
        os.makedirs(found)
    else:
        for f in WEIGHT_OUTPUTS:
            if osp.isfile(osp.join(found, f)):
                os.remove(osp.join(found, f))
    # the rerun parts start from 0; the kept ones are put back by settle
    atomic_write_json(osp.join(found, TIMING), {
        p: 0.0 if p in RERUN_PARTS[rerun] else parts.get(p, 0.0)
        for p in PARTS})
    # the copy resumes from its own checkpoints, not PREV's
    ckpt = osp.join(base, name, 'last_checkpoint')
    if osp.isfile(ckpt):
        with open(ckpt) as f:
            path = f.read().strip()
        with open(ckpt, 'w') as f:
            f.write(path.replace(src, dst, 1))


def settle(base: str, name: str) -> None:
    """After search step ``name`` ran in a variant: charge the adaptation
    and a kept search PREV's time, a rerun search its own, and write the
    step's seconds accordingly. A no-op outside a variant, and once
    settled."""
    reused = osp.join(base, REUSED.format(name))
    done = osp.join(base, f'{name}.done')
    if not (osp.isfile(reused) and osp.isfile(done)):
        return
    prev = read_json(reused)
    found = osp.join(base, name, 'search')
    rerun, now = RERUN_PARTS[prev['rerun']], read_timing(found)
    # a rerun part: its new time; the rest as PREV recorded it (the
    # resume's overhead on a kept part is not charged)
    parts = {p: (now if p in rerun else prev['timing']).get(p, 0.0)
             for p in PARTS}
    atomic_write_json(osp.join(found, TIMING), parts)
    seconds = prev['seconds'] + sum(
        parts[p] - prev['timing'].get(p, 0.0) for p in rerun)
    atomic_write_json(done, dict(seconds=seconds))
    os.remove(reused)
