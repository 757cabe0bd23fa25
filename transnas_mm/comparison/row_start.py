"""Where a row's starting network comes from: exported from a checkpoint
by ``tools/baseline_subnet.py`` (hand, random or searched arch; plain
inheritance), the weight search's export, or the searched arch trained
alone on the source (the DetNAS-style row); and the start's digest, by
which rows that start alike share one finetune."""
import os
import os.path as osp
from typing import Optional, Tuple

from ..search.outputs.names import ARCH_FILE, SUBNET_MODEL
from ..utils.atomic_io import read_json
from .budgets import quick
from .rows import Row
from .search_run import SearchRun
from .start_digest import DIGEST_FILE, read_start_digest, write_start_digest
from .steps import Steps, last_checkpoint
from .target_spec import Sources, TargetSpec


def row_network(steps: Steps, row: Row, spec: TargetSpec, rdir: str,
                found: str, ckpt: str, seed: int) -> Tuple[str, dict]:
    """The row's starting network, exported by tools/baseline_subnet.py:
    (arch.json path, its cost)."""
    steps.once(osp.join(rdir, 'net.done'), f'{spec.key}/{row.key}: network',
               steps.script(
                   'tools/baseline_subnet.py', spec.config, ckpt,
                   osp.join(rdir, 'net'), '--kind', row.arch, '--seed',
                   str(seed),
                   *(['--arch', osp.join(found, ARCH_FILE)]
                     if row.arch == 'searched' else []),
                   *(['--backbone-only'] if row.backbone_only else [])),
               osp.join(rdir, 'net.log'))
    net = osp.join(rdir, 'net')
    return osp.join(net, ARCH_FILE), read_json(osp.join(net, 'cost.json'))


def retrain_on_source(steps: Steps, name: str, rdir: str, arch: str,
                      config: str, seed: int, fast: bool
                      ) -> Tuple[str, float]:
    """The DetNAS-style start: ``arch`` trained alone on the source with
    ``config`` (the static network's recipe) into ``rdir/source``; returns
    its backbone (the source head is another task's) and the seconds."""
    work = osp.join(rdir, 'source')
    seconds = steps.once(
        osp.join(rdir, 'source.done'), f'{name}: the arch trained on the '
        f'source', steps.script(
            'tools/train.py', config, '--work-dir', work, '--resume',
            '--cfg-options', f'model.backbone.arch={arch}',
            f'randomness.seed={seed}',
            *quick('source', 'static_source', fast)),
        osp.join(rdir, 'source.log'))
    backbone = osp.join(rdir, 'source_backbone.pth')
    if not osp.isfile(backbone):
        from ..apis import export_backbone_checkpoint
        ckpt = last_checkpoint(work)
        steps.forked(lambda: export_backbone_checkpoint(ckpt, backbone),
                     backbone + '.log')
    return backbone, seconds


def row_digest(steps: Steps, rdir: str, arch: str, load: str) -> str:
    """The row's start digest, computed once (in a child: the warm parent
    runs no torch) and kept in ``rdir``."""
    if not osp.isfile(osp.join(rdir, DIGEST_FILE)):
        os.makedirs(rdir, exist_ok=True)
        steps.forked(lambda: write_start_digest(rdir, arch, load),
                     osp.join(rdir, 'start_digest.log'))
    return read_start_digest(rdir)


def row_start(steps: Steps, spec: TargetSpec, row: Row, rdir: str,
              run: SearchRun, sources: Sources, seed: int, fast: bool
              ) -> Tuple[str, Optional[str], dict, float]:
    """Where ``row`` starts for one seed's run: (arch.json, the weights
    its finetune loads (None: random init), its FLOPs/params, the seconds
    of a source training it paid)."""
    if row.weights in ('nws', 'retrain'):
        arch = osp.join(run.found, ARCH_FILE)
        cost = dict(flops=run.summary.flops, params=run.summary.params)
        if row.weights == 'nws':
            return arch, osp.join(run.found, SUBNET_MODEL), cost, 0.0
        load, retrained = retrain_on_source(
            steps, f'{spec.key}/{row.key}', rdir, arch, sources.retrain,
            seed, fast)
        return arch, load, cost, retrained
    checkpoints = dict(init=run.adapted, source=sources.supernet,
                       static=sources.static, adapted=run.adapted)
    arch, cost = row_network(steps, row, spec, rdir, run.found,
                             checkpoints[row.weights], seed)
    load = None if row.weights == 'init' else osp.join(
        rdir, 'net', SUBNET_MODEL)
    return arch, load, cost, 0.0
