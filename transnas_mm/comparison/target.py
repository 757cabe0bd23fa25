"""One target's rows: adapt + search once, then every row finetuned with
the target's one finetune budget and tested on its held-out split."""
import json
import os.path as osp
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

from ..search.summaries import ArchSummary, WeightSources
from .budgets import quick
from .rank_study import rank_study
from .rows import ROWS, Row
from .steps import Steps, last_checkpoint


@dataclass
class TargetSpec:
    """``key``: folder name; ``config``: its search config; ``metric``: the
    held-out metric key; ``task``: 'cls' or 'det' for a user's target
    (the demo's are named by key)."""
    key: str
    config: str
    metric: str
    task: Optional[str] = None

    @property
    def kind(self) -> str:
        return self.task or self.key

    @classmethod
    def from_config(cls, config: str, metric: Optional[str] = None
                    ) -> 'TargetSpec':
        """A user's search config (e.g. from tools/new_target.py): the
        metric key of its ArchSearchHook unless given; classifier or
        detector from the model (the quick budgets differ)."""
        from mmengine.config import Config
        from ..utils import find_hook
        cfg = Config.fromfile(config)
        hook = find_hook(cfg, 'ArchSearchHook')
        if hook is None:
            raise ValueError(f'{config}: custom_hooks: no ArchSearchHook; '
                             f'expected a search config '
                             f'(tools/new_target.py)')
        task = 'det' if 'bbox_head' in cfg.model or 'rpn_head' in cfg.model \
            else 'cls'
        return cls('own', osp.abspath(config),
                   metric or hook['metric_key'], task)


@dataclass
class Sources:
    """The checkpoints every target starts from: the source super-network
    and (optional) the hand chain trained alone on the same source."""
    supernet: str
    static: Optional[str] = None


@dataclass
class TargetResult:
    metric_key: str
    rows: List[dict]
    nws: WeightSources
    summary: ArchSummary
    study: Optional[dict] = None
    figures: Dict[str, str] = field(default_factory=dict)


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
    doc = json.load(open(osp.join(found, 'cost_table.json')))
    space = SearchSpace.from_dict(doc['space'])
    path = osp.join(found, 'latency_table.json')
    if not osp.isfile(path):
        steps.forked(lambda: LatencyTable.measure(
            space, doc['input_shape']).save(path), path + '.log')
    table = LatencyTable.load(path, space)
    return lambda arch_file: table.latency(load_arch(arch_file, space))


def finetune_and_test(steps: Steps, name: str, spec: TargetSpec, rdir: str,
                      finetune_cfg: str, arch: str, load: Optional[str],
                      seed: int, fast: bool) -> Tuple[Optional[float], float]:
    """Finetune ``arch`` from ``load`` (None: random init) with the target's
    one finetune budget, then test it on the held-out split. Returns the
    held-out metric and the finetune seconds."""
    row_opts = ['--cfg-options', f'model.backbone.arch={arch}',
                f'load_from={load}', f'randomness.seed={seed}'
                ] + quick('finetune', spec.kind, fast)
    ft = osp.join(rdir, 'finetune')
    seconds = steps.once(
        osp.join(rdir, 'finetune.done'), f'{name}: finetune',
        steps.script('tools/train.py', finetune_cfg, '--work-dir', ft,
                     '--resume', *row_opts),
        osp.join(rdir, 'finetune.log'))
    result = osp.join(rdir, 'heldout.json')
    steps.once(osp.join(rdir, 'test.done'), f'{name}: held-out test',
               steps.script('tools/test.py', finetune_cfg,
                            last_checkpoint(ft), '--work-dir',
                            osp.join(rdir, 'test'), '--out-metrics', result,
                            *row_opts), osp.join(rdir, 'test.log'))
    return json.load(open(result)).get(spec.metric), seconds


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
    return osp.join(net, 'arch.json'), json.load(
        open(osp.join(net, 'cost.json')))


def run_target(steps: Steps, spec: TargetSpec, out: str, sources: Sources,
               seeds: int, fast: bool = False, rank_archs: int = 0,
               rank_seeds: int = 1) -> TargetResult:
    """Adapt + search once (``tools/train.py`` on the search config), then
    every row over ``seeds`` finetune seeds; the static row only where
    ``sources.static`` is given."""
    base = osp.join(out, spec.key)
    search = osp.join(base, 'search')
    opts = ['--cfg-options',
            f'model.backbone.init_cfg.checkpoint={sources.supernet}'] + \
        quick('search', spec.kind, fast)
    steps.once(osp.join(base, 'search.done'),
               f'{spec.key}: adapt + NAS + NWS',
               steps.script('tools/train.py', spec.config, '--work-dir',
                            search, *opts), osp.join(base, 'search.log'))
    found = osp.join(search, 'search')
    adapted = last_checkpoint(search)
    finetune_cfg = osp.join(found, 'finetune.py')
    summary = ArchSummary.from_file(osp.join(found, 'summary.json'))
    nws = WeightSources.from_file(osp.join(found, 'weight_sources.json'))
    nas_s = search_seconds(osp.join(found, 'search_log.jsonl'))
    nws_s = search_seconds(osp.join(found, 'nws_log.jsonl'))
    total_s = json.load(open(osp.join(base, 'search.done')))['seconds']
    adapt_s = max(0.0, total_s - nas_s - nws_s)
    checkpoints = dict(init=adapted, source=sources.supernet,
                       static=sources.static, adapted=adapted)
    latency = row_latency(steps, found)
    rows = []
    for row in ROWS:
        if row.weights == 'static' and sources.static is None:
            continue  # no static source network given
        metrics, finetune_s, flops, params, ms = [], [], [], [], []
        for seed in range(seeds):
            rdir = osp.join(base, f'{row.key}_seed{seed}')
            if row.weights == 'nws':
                arch = osp.join(found, 'arch.json')
                load = osp.join(found, 'subnet_model.pth')
                cost = dict(flops=summary.flops, params=summary.params)
            else:
                arch, cost = row_network(steps, row, spec, rdir, found,
                                         checkpoints[row.weights], seed)
                load = None if row.weights == 'init' else osp.join(
                    rdir, 'net', 'subnet_model.pth')
            flops.append(cost['flops'])  # random: another arch per seed
            params.append(cost['params'])
            ms.append(latency(arch))
            metric, seconds = finetune_and_test(
                steps, f'{spec.key}/{row.key}', spec, rdir, finetune_cfg,
                arch, load, seed, fast)
            metrics.append(metric)
            finetune_s.append(seconds)
        search_s = dict(nas=nas_s, **{'nas+nws': nas_s + nws_s}).get(
            row.search, 0.0)
        row_adapt = adapt_s if row.adapted else 0.0
        rows.append(dict(key=row.key, name=row.title,
                         flops=sum(flops) / len(flops),
                         params=sum(params) / len(params),
                         latency_ms=sum(ms) / len(ms),
                         metric=metrics, search_s=[search_s],
                         finetune_s=finetune_s,
                         target_s=[row_adapt + search_s + f
                                   for f in finetune_s]))
    from ..search import plot_arch
    from ..space import load_arch
    plot_arch(osp.join(found, 'arch.png'),
              load_arch(osp.join(found, 'arch.json')))
    study = rank_study(steps, spec, base, found, adapted, finetune_cfg,
                       rank_archs, fast, rank_seeds) \
        if rank_archs > 1 else None
    return TargetResult(spec.metric, rows, nws, summary, study, {
        'search curve': osp.join(found, 'search_curve.png'),
        'Pareto front': osp.join(found, 'pareto.png'),
        'the chosen network (ops and edges)': osp.join(found, 'arch.png'),
        "where each layer's weights came from":
        osp.join(found, 'weight_sources.png'),
        'search fitness vs held-out after finetune (rank study)':
        osp.join(base, 'rank_study.png'),
    })
