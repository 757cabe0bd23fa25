"""What an arch search leaves and shows: the log and Pareto front every
generation, the figures, ``arch.json``, ``cost_table.json`` and
``summary.json`` at the end, the per-generation scalars and log lines,
and the latency table every rank checks the same numbers against."""
import os.path as osp
import statistics
from typing import Callable, Dict, Optional, Sequence

from mmengine.dist import broadcast_object_list, is_main_process
from mmengine.logging import print_log

from ...space import CostTable, LatencyTable, save_arch
from ..core.base import Search, generation_scalars
from ..core.candidate import WORST, Candidate
from ..outputs.artifacts import write_log, write_pareto
from ..outputs.names import (ARCH_FILE, ARCH_LOG, ARCH_SUMMARY, COST_TABLE,
                             LATENCY_TABLE, PARETO)
from ..outputs.plots import plot_pareto, plot_search_curve
from ..outputs.summaries import ArchSummary
from ..settings import Proxy, Scoring
from .predictor import predictor_by_generation



def latency_table(out: str, supernet, input_shape: Sequence[int]
                  ) -> LatencyTable:
    """Measured once on rank 0 (or read back on resume), broadcast: every
    rank checks the same numbers."""
    path = osp.join(out, LATENCY_TABLE)
    doc = [None]
    if is_main_process():
        if osp.isfile(path):
            doc[0] = LatencyTable.load(path, supernet.space).to_dict()
        else:
            table = LatencyTable.measure(supernet.space, input_shape,
                                         backbone=supernet)
            table.save(path)
            doc[0] = table.to_dict()
    broadcast_object_list(doc, src=0)
    return LatencyTable.from_dict(doc[0], supernet.space, path)


def log_predictor(s: Search) -> None:
    screened = predictor_by_generation(
        [c for c in s.history.values() if c.generation == s.generation - 1])
    if screened:
        print_log(f'predictor: evaluated {screened[0]["evaluated"]} of the '
                  f'generation\'s children (skipped {s.skipped} so far), '
                  f'Kendall tau predicted vs measured '
                  f'{screened[0]["kendall_tau"]:.2f}', logger='current')


def arch_scalars(s: Search) -> Dict[str, float]:
    """What a visualizer shows per generation."""
    last = [c for c in s.history.values()
            if c.generation == s.generation - 1]
    out = generation_scalars(s, 'search')
    screened = predictor_by_generation(last)
    if screened:
        out['search/predictor_tau'] = screened[0]['kendall_tau']
    return out


def fitness_note(fitness: str, proxy: Optional[Proxy]) -> str:
    if fitness != 'proxy':
        return ''
    if proxy.share:
        return (' (after a shared proxy finetune: '
                f'{proxy.iters} steps per candidate, about '
                f'{proxy.share} candidates per run)')
    if proxy.rungs:
        return (' (after a proxy ladder of '
                f'{"/".join(map(str, proxy.ladder))} steps, the '
                f'best {proxy.keep:.2f} of each rung promoted)')
    return ' (after a proxy finetune)'


def arch_summary(scoring: Scoring, search: Search, best: Candidate, ranked,
                 noise: Optional[float], selected_by: str,
                 heads: Optional[dict]) -> ArchSummary:
    cands = list(search.history.values())
    median = statistics.median(c.score for c in cands if c.score > WORST)
    gap = search.best.score - median
    return ArchSummary(
        metric_key=scoring.metric_key, rule=scoring.rule,
        best_score=best.score,
        best_value=best.metrics.get(scoring.metric_key),
        best_metrics=best.metrics,
        flops=best.flops, params=best.params, latency_ms=best.latency,
        generations_done=search.generation,
        evaluated=len(search.history), rejected=search.rejected,
        skipped_by_predictor=search.skipped,
        predictor=predictor_by_generation(cands),
        raced=sum(c.status == 'raced' for c in cands),
        images_evaluated=sum(c.images for c in cands),
        input_shape=list(scoring.input_shape),
        median_score=median, score_noise=noise,
        best_minus_median=gap,
        best_minus_median_over_noise=gap / noise if noise else None,
        selected_by='proxy finetune rerank' if ranked else selected_by,
        rerank=[dict(flops=c.flops, search_score=c.metrics.get(
            'search_score'), proxy_score=c.score,
            layers=c.arch['layers']) for c in ranked],
        head_start=None if heads is None else {
            k: heads[k] for k in ('picked', 'search_split')})


def write_arch_outputs(out: str, search: Search, table: CostTable,
                       metric_key: str, final: bool = True,
                       summary: Optional[Callable[[], ArchSummary]] = None,
                       chosen: Optional[Candidate] = None) -> None:
    """The log and Pareto front every generation (cheap); figures at the
    end (``final``); ``arch.json`` and ``summary.json`` once, at the end
    (``chosen`` given), so another rank or hook never reads an
    intermediate arch."""
    if not is_main_process():
        return
    cands = list(search.history.values())
    write_log(osp.join(out, ARCH_LOG), cands)
    write_pareto(osp.join(out, PARETO), cands)
    if not final:
        return
    plot_search_curve(osp.join(out, 'search_curve.png'), cands, metric_key)
    plot_pareto(osp.join(out, 'pareto.png'), cands, metric_key)
    if chosen is None:
        return
    save_arch(chosen.arch, osp.join(out, ARCH_FILE))
    table.save(osp.join(out, COST_TABLE))
    summary().to_json(osp.join(out, ARCH_SUMMARY))
