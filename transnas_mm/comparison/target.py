"""One target's rows: adapt + search once, then every row finetuned with
the target's one finetune budget and tested on its held-out split."""
import os.path as osp
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from ..search.outputs.names import (ARCH_FILE, COST_TABLE, LATENCY_TABLE,
                                    WEIGHT_FIGURE)
from ..search.outputs.summaries import ArchSummary, WeightSources
from ..utils.atomic_io import read_json
from .head_choice import finetune_better_heads
from .rank_study import rank_study
from .row_finetune import finetune, finetune_and_test, score, shared_result
from .row_start import row_digest, row_start
from .rows import ALL_ROWS, Row, table_rows
from .search_run import SearchRun, search_target
from .start_digest import Twins
from .steps import Steps
from .target_spec import Sources, TargetSpec


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


def row_latency(steps: Steps, found: str) -> Callable[[str], float]:
    """arch.json path -> ms (batch 1, this CPU) from a per-(layer, op)
    latency table of the target's space at its search input shape: the
    search's own ``latency_table.json`` if it measured one, else measured
    once here and kept beside it."""
    from ..space import LatencyTable, SearchSpace, load_arch
    doc = read_json(osp.join(found, COST_TABLE))
    space = SearchSpace.from_dict(doc['space'])
    path = osp.join(found, LATENCY_TABLE)
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


def row_title(folder: str) -> str:
    """'random_seed0' -> that row's title."""
    key = folder.rsplit('_seed', 1)[0]
    return next((r.title for r in ALL_ROWS if r.key == key), folder)


def row_seed(steps: Steps, spec: TargetSpec, row: Row, base: str,
             run: SearchRun, sources: Sources, seed: int, fast: bool,
             seen: Twins, latency: Callable[[str], float],
             result: TargetResult) -> dict:
    """One row at one seed: its start, its finetune (or the twin's whose
    start it shares; NAS + NWS: the better heads), and its compute parts.
    A shared finetune or a head choice is noted in ``result``."""
    rdir = osp.join(base, f'{row.key}_seed{seed}')
    arch, load, cost, retrained = row_start(steps, spec, row, rdir, run,
                                            sources, seed, fast)
    name = f'{spec.key}/{row.key}'
    if row.choose_heads:
        metric, seconds, choice = finetune_better_heads(
            steps, name, rdir, load,
            variant_runner(steps, name, spec, run.finetune_cfg, arch, seed,
                           fast, seen))
        result.heads.append(dict(seed=seed, **choice))
    else:
        twin = None if load is None else \
            seen.twin(row_digest(steps, rdir, arch, load), rdir)
        if twin is not None:
            result.shared.append(f'{row.title} (seed {seed}) = '
                                 f'{row_title(osp.basename(twin))}')
        metric, seconds = finetune_and_test(
            steps, name, spec, rdir, run.finetune_cfg, arch, load, seed,
            fast, twin)
    searched = dict(nas=run.nas_s, **{
        'nas+nws': run.nas_s + run.nws_s}).get(row.search, 0.0)
    adapt = run.adapt_s if row.adapted else 0.0
    return dict(metric=metric, finetune_s=seconds, search_s=searched,
                adapt_s=adapt, source_s=retrained,
                target_s=adapt + searched + retrained + seconds,
                flops_seeds=cost['flops'], params_seeds=cost['params'],
                latency=latency(arch), arch=arch)


# a row's per-seed lists in the report's rows (row_seed's keys)
PER_SEED = ('metric', 'search_s', 'finetune_s', 'target_s', 'adapt_s',
            'source_s')


def run_target(steps: Steps, spec: TargetSpec, out: str, sources: Sources,
               seeds: int, fast: bool = False, rank_archs: int = 0,
               rank_seeds: int = 1, search_options: Sequence[str] = (),
               extra_rows: Sequence[str] = ()) -> TargetResult:
    """Per seed, adapt + search (seed s: search seeds s, so a table's std
    covers what a rerun would give), then every row finetuned with that
    seed (the goal's rows, then ``extra_rows``: keys of EXTRA_ROWS); the
    static row only where ``sources.static`` is given, the DetNAS-style
    row only where the source can be trained on (``sources.retrain``)."""
    base = osp.join(out, spec.key)
    runs = [search_target(steps, spec, base, sources, fast, seed,
                          search_options) for seed in range(seeds)]
    latency = row_latency(steps, runs[0].found)
    twins = [Twins() for _ in runs]
    result = TargetResult(spec.metric, [], [r.nws for r in runs],
                          [r.summary for r in runs])
    for row in table_rows(extra_rows):
        if row.weights == 'static' and sources.static is None:
            continue  # no static source network given
        if row.weights == 'retrain' and sources.retrain is None:
            continue  # a pretrained source: its data is not here
        per = [row_seed(steps, spec, row, base, run, sources, seed, fast,
                        seen, latency, result)
               for seed, (run, seen) in enumerate(zip(runs, twins))]
        flops = [p['flops_seeds'] for p in per]  # random, searched: per seed
        result.rows.append(dict(
            key=row.key, name=row.title, flops=sum(flops) / len(flops),
            params=sum(p['params_seeds'] for p in per) / len(per),
            latency_ms=sum(p['latency'] for p in per) / len(per),
            **{k: [p[k] for p in per] for k in PER_SEED},
            source_train_s=sources.train_s, flops_seeds=flops,
            params_seeds=[p['params_seeds'] for p in per],
            arch=[osp.relpath(p['arch'], out) for p in per]))
    found = runs[0].found
    from ..search import plot_arch
    from ..space import load_arch
    plot_arch(osp.join(found, 'arch.png'),
              load_arch(osp.join(found, ARCH_FILE)))
    result.study = rank_study(steps, spec, base, found, runs[0].adapted,
                              runs[0].finetune_cfg, rank_archs, fast,
                              rank_seeds) if rank_archs > 1 else None
    result.figures = {
        **search_figures(found, seeds),
        'search fitness vs held-out after finetune (rank study)':
        osp.join(base, 'rank_study.png'),
    }
    return result


def search_figures(found: str, seeds: int) -> Dict[str, str]:
    """The report's figures of one search (``found``): seed 0's, so
    titled as such when the table has several seeds."""
    label = ' (search seed 0)' if seeds > 1 else ''
    return {f'{title}{label}': osp.join(found, png) for title, png in (
        ('search curve', 'search_curve.png'),
        ('Pareto front', 'pareto.png'),
        ('the chosen network (ops and edges)', 'arch.png'),
        ("where each layer's weights came from", WEIGHT_FIGURE))}
