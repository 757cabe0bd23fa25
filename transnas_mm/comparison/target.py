"""One target's rows: adapt + search once, then every row finetuned with
the target's one finetune budget and tested on its held-out split."""
import json
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from ..search.summaries import ArchSummary, WeightSources
from ..search.timing import read_timing
from ..utils.atomic_io import read_json
from .budgets import quick
from .head_choice import finetune_better_heads
from .rank_study import rank_study
from .row_finetune import finetune, finetune_and_test, score, shared_result
from .rows import ALL_ROWS, Row, table_rows
from .start_digest import (DIGEST_FILE, Twins, read_start_digest,
                           write_start_digest)
from .steps import Steps, last_checkpoint
from .target_spec import Sources, TargetSpec
from .variant import settle


@dataclass
class TargetResult:
    metric_key: str
    rows: List[dict]
    nws: List[WeightSources]  # per search seed
    summary: List[ArchSummary]  # per search seed
    study: Optional[dict] = None
    figures: Dict[str, str] = field(default_factory=dict)
    # 'row (seed s) = earlier row': rows that reused a twin's finetune
    shared: List[str] = field(default_factory=list)
    # per seed, NAS + NWS's choice of adapted or fresh heads (heads.json)
    heads: List[dict] = field(default_factory=list)


def search_seconds(path: str) -> float:
    if not osp.isfile(path):
        return 0.0
    return sum(json.loads(line)['seconds'] for line in open(path))


def row_latency(steps: Steps, found: str) -> Callable[[str], float]:
    """arch.json path -> ms (batch 1, this CPU) from a per-(layer, op)
    latency table of the target's space at its search input shape: the
    search's own ``latency_table.json`` if it measured one, else measured
    once here and kept beside it."""
    from ..space import LatencyTable, SearchSpace, load_arch
    doc = read_json(osp.join(found, 'cost_table.json'))
    space = SearchSpace.from_dict(doc['space'])
    path = osp.join(found, 'latency_table.json')
    if not osp.isfile(path):
        steps.forked(lambda: LatencyTable.measure(
            space, doc['input_shape']).save(path), path + '.log')
    table = LatencyTable.load(path, space)
    return lambda arch_file: table.latency(load_arch(arch_file, space))


def variant_runner(steps: Steps, name: str, spec: TargetSpec,
                   finetune_cfg: str, arch: str, seed: int, fast: bool,
                   seen: Twins):
    """One start of a row finetuned and scored on both splits (for
    :func:`.head_choice.finetune_better_heads`); a start equal to an earlier
    row's of the seed (``seen``) takes that row's finetune."""
    def run(vdir: str, load: str
            ) -> Tuple[Optional[float], Optional[float], float]:
        label = f'{name} ({osp.basename(vdir).replace("_", " ")})'
        twin = seen.twin(row_digest(steps, vdir, arch, load), vdir)
        if twin is not None:
            held, seconds = shared_result(label, spec, vdir, twin)
        else:
            seconds = finetune(steps, label, spec, vdir, finetune_cfg, arch,
                               load, seed, fast)
            held = score(steps, label, spec, vdir, finetune_cfg, arch, seed,
                         fast, 'test')
        return held, score(steps, label, spec, twin or vdir, finetune_cfg,
                           arch, seed, fast, 'val'), seconds
    return run


def row_network(steps: Steps, row: Row, spec: TargetSpec, rdir: str,
                found: str, ckpt: str, seed: int) -> Tuple[str, dict]:
    """The row's starting network, exported by tools/baseline_subnet.py:
    (arch.json path, its cost)."""
    steps.once(osp.join(rdir, 'net.done'), f'{spec.key}/{row.key}: network',
               steps.script(
                   'tools/baseline_subnet.py', spec.config, ckpt,
                   osp.join(rdir, 'net'), '--kind', row.arch, '--seed',
                   str(seed),
                   *(['--arch', osp.join(found, 'arch.json')]
                     if row.arch == 'searched' else []),
                   *(['--backbone-only'] if row.backbone_only else [])),
               osp.join(rdir, 'net.log'))
    net = osp.join(rdir, 'net')
    return osp.join(net, 'arch.json'), read_json(osp.join(net, 'cost.json'))


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


def row_title(folder: str) -> str:
    """'random_seed0' -> that row's title."""
    key = folder.rsplit('_seed', 1)[0]
    return next((r.title for r in ALL_ROWS if r.key == key), folder)


def row_digest(steps: Steps, rdir: str, arch: str, load: str) -> str:
    """The row's start digest, computed once (in a child: the warm parent
    runs no torch) and kept in ``rdir``."""
    if not osp.isfile(osp.join(rdir, DIGEST_FILE)):
        os.makedirs(rdir, exist_ok=True)
        steps.forked(lambda: write_start_digest(rdir, arch, load),
                     osp.join(rdir, 'start_digest.log'))
    return read_start_digest(rdir)


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
        return osp.join(self.found, 'finetune.py')


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
        quick('search', spec.kind, fast) + \
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
                     ArchSummary.from_file(osp.join(found, 'summary.json')),
                     WeightSources.from_file(
                         osp.join(found, 'weight_sources.json')),
                     max(0.0, total_s - nas_s - nws_s), nas_s, nws_s)


def search_parts(found: str) -> Tuple[float, float]:
    """(NAS, NWS) seconds: each search's wall time as its hook recorded it
    (``timing.json``: noise draws and exports included); the rest of the
    step (start-up, adaptation) is charged to every adapted row. A search
    folder of an earlier release: the sums of the candidates' seconds."""
    parts = read_timing(found)
    if 'arch' in parts and 'weights' in parts:
        return parts['arch'], parts['weights']
    return (search_seconds(osp.join(found, 'search_log.jsonl')),
            search_seconds(osp.join(found, 'nws_log.jsonl')))


def run_target(steps: Steps, spec: TargetSpec, out: str, sources: Sources,
               seeds: int, fast: bool = False, rank_archs: int = 0,
               rank_seeds: int = 1, search_options: Sequence[str] = (),
               extra_rows: Sequence[str] = ()) -> TargetResult:
    """Per seed, adapt + search (seed s: search seeds s, so a table's std
    covers what a rerun would give), then every row finetuned with that
    seed (the goal's rows, then ``extra_rows``: keys of EXTRA_ROWS); the
    static row only where ``sources.static`` is given."""
    base = osp.join(out, spec.key)
    runs = [search_target(steps, spec, base, sources, fast, seed,
                          search_options) for seed in range(seeds)]
    latency = row_latency(steps, runs[0].found)
    twins = [Twins() for _ in runs]
    rows, shared, heads = [], [], []
    for row in table_rows(extra_rows):
        if row.weights == 'static' and sources.static is None:
            continue  # no static source network given
        if row.weights == 'retrain' and sources.retrain is None:
            continue  # a pretrained source: its data is not here
        metrics, finetune_s, flops, params, ms, search_s, target_s = \
            [], [], [], [], [], [], []
        source_s = []
        adapt_s, archs = [], []
        for seed, (run, seen) in enumerate(zip(runs, twins)):
            rdir = osp.join(base, f'{row.key}_seed{seed}')
            checkpoints = dict(init=run.adapted, source=sources.supernet,
                               static=sources.static, adapted=run.adapted)
            retrained = 0.0
            if row.weights in ('nws', 'retrain'):
                arch = osp.join(run.found, 'arch.json')
                load = osp.join(run.found, 'subnet_model.pth')
                cost = dict(flops=run.summary.flops,
                            params=run.summary.params)
                if row.weights == 'retrain':
                    load, retrained = retrain_on_source(
                        steps, f'{spec.key}/{row.key}', rdir, arch,
                        sources.retrain, seed, fast)
            else:
                arch, cost = row_network(steps, row, spec, rdir, run.found,
                                         checkpoints[row.weights], seed)
                load = None if row.weights == 'init' else osp.join(
                    rdir, 'net', 'subnet_model.pth')
            flops.append(cost['flops'])  # random, searched: per seed
            params.append(cost['params'])
            ms.append(latency(arch))
            name = f'{spec.key}/{row.key}'
            if row.choose_heads:
                metric, seconds, choice = finetune_better_heads(
                    steps, name, rdir, load,
                    variant_runner(steps, name, spec, run.finetune_cfg,
                                   arch, seed, fast, seen))
                heads.append(dict(seed=seed, **choice))
            else:
                twin = None if load is None else \
                    seen.twin(row_digest(steps, rdir, arch, load), rdir)
                if twin is not None:
                    shared.append(f'{row.title} (seed {seed}) = '
                                  f'{row_title(osp.basename(twin))}')
                metric, seconds = finetune_and_test(
                    steps, name, spec, rdir, run.finetune_cfg, arch, load,
                    seed, fast, twin)
            metrics.append(metric)
            finetune_s.append(seconds)
            searched = dict(nas=run.nas_s, **{
                'nas+nws': run.nas_s + run.nws_s}).get(row.search, 0.0)
            search_s.append(searched)
            adapt_s.append(run.adapt_s if row.adapted else 0.0)
            source_s.append(retrained)
            target_s.append(adapt_s[-1] + searched + retrained + seconds)
            archs.append(osp.relpath(arch, out))
        rows.append(dict(key=row.key, name=row.title,
                         flops=sum(flops) / len(flops),
                         params=sum(params) / len(params),
                         latency_ms=sum(ms) / len(ms),
                         metric=metrics, search_s=search_s,
                         finetune_s=finetune_s, target_s=target_s,
                         adapt_s=adapt_s, source_s=source_s,
                         source_train_s=sources.train_s, flops_seeds=flops,
                         params_seeds=params, arch=archs))
    found, adapted = runs[0].found, runs[0].adapted
    finetune_cfg = runs[0].finetune_cfg
    summary, nws = [r.summary for r in runs], [r.nws for r in runs]
    from ..search import plot_arch
    from ..space import load_arch
    plot_arch(osp.join(found, 'arch.png'),
              load_arch(osp.join(found, 'arch.json')))
    study = rank_study(steps, spec, base, found, adapted, finetune_cfg,
                       rank_archs, fast, rank_seeds) \
        if rank_archs > 1 else None
    return TargetResult(spec.metric, rows, nws, summary, study, {
        **search_figures(found, seeds),
        'search fitness vs held-out after finetune (rank study)':
        osp.join(base, 'rank_study.png'),
    }, shared, heads)


def search_figures(found: str, seeds: int) -> Dict[str, str]:
    """The report's figures of one search (``found``): seed 0's, so
    titled as such when the table has several seeds."""
    label = ' (search seed 0)' if seeds > 1 else ''
    return {f'{title}{label}': osp.join(found, png) for title, png in (
        ('search curve', 'search_curve.png'),
        ('Pareto front', 'pareto.png'),
        ('the chosen network (ops and edges)', 'arch.png'),
        ("where each layer's weights came from", 'weight_sources.png'))}
