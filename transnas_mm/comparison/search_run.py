"""A target's adapt + NAS + NWS step (``tools/train.py`` on its search
config, once per seed) and what the rows take from it."""
import json
import os.path as osp
from dataclasses import dataclass
from typing import Sequence, Tuple

from ..search.core.timing import read_timing
from ..search.outputs.names import (ARCH_LOG, ARCH_SUMMARY, FINETUNE_CONFIG,
                                    WEIGHT_LOG, WEIGHT_SOURCES)
from ..search.outputs.summaries import ArchSummary, WeightSources
from ..utils.atomic_io import read_json
from .budgets import quick
from .steps import Steps, last_checkpoint
from .target_spec import Sources, TargetSpec
from .variant import settle


@dataclass
class SearchRun:
    """One adapt + NAS + NWS run of a target and what the rows take from
    it."""
    found: str  # its work_dir/search folder
    adapted: str  # the adapted whole-model checkpoint
    summary: ArchSummary
    nws: WeightSources
    adapt_s: float
    nas_s: float
    nws_s: float

    @property
    def finetune_cfg(self) -> str:
        return osp.join(self.found, FINETUNE_CONFIG)


def search_target(steps: Steps, spec: TargetSpec, base: str,
                  sources: Sources, fast: bool, seed: int = 0,
                  options: Sequence[str] = ()) -> SearchRun:
    """``tools/train.py`` on the search config (``options``: more
    ``--cfg-options``); seed > 0 reruns the adaptation and both searches
    with that seed (its own folder)."""
    name = 'search' if seed == 0 else f'search_seed{seed}'
    work = osp.join(base, name)
    opts = ['--cfg-options',
            f'model.backbone.init_cfg.checkpoint={sources.supernet}'] + \
        quick('search', spec.task, fast) + \
        ([f'randomness.seed={seed}',
          f'custom_hooks.ArchSearchHook.seed={seed}',
          f'custom_hooks.WeightSearchHook.seed={seed}'] if seed else []) + \
        list(options)
    done = osp.join(base, f'{name}.done')
    steps.once(done, f'{spec.key}: adapt + NAS + NWS' +
               (f' (search seed {seed})' if seed else ''),
               steps.script('tools/train.py', spec.config, '--work-dir',
                            work, *opts), osp.join(base, f'{name}.log'))
    settle(base, name)  # a search variant: charge what a fresh run pays
    found = osp.join(work, 'search')
    total_s = read_json(done)['seconds']
    nas_s, nws_s = search_parts(found)
    return SearchRun(found, last_checkpoint(work),
                     ArchSummary.from_file(osp.join(found, ARCH_SUMMARY)),
                     WeightSources.from_file(
                         osp.join(found, WEIGHT_SOURCES)),
                     max(0.0, total_s - nas_s - nws_s), nas_s, nws_s)


def search_parts(found: str) -> Tuple[float, float]:
    """(NAS, NWS) seconds: each search's wall time as its hook recorded it
    (``timing.json``: noise draws and exports included); the rest of the
    step (start-up, adaptation) is charged to every adapted row. A search
    folder of an earlier release: the sums of the candidates' seconds."""
    parts = read_timing(found)
    if 'arch' in parts and 'weights' in parts:
        return parts['arch'], parts['weights']
    return (search_seconds(osp.join(found, ARCH_LOG)),
            search_seconds(osp.join(found, WEIGHT_LOG)))


def search_seconds(path: str) -> float:
    if not osp.isfile(path):
        return 0.0
    return sum(json.loads(line)['seconds'] for line in open(path))
