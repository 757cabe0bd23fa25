"""Held-out-free signals a search could rank candidates by, for a list of
archs on an adapted super-network: what the rank study compares against
the finetuned result. Each signal is "higher is better".

* ``inherited``: the search-split metric with inherited weights after BN
  recalibration (the ``'inherited'`` fitness);
* ``proxy_<k>``: the same after ``k`` proxy SGD steps from the adapted
  weights (``fitness='proxy'`` with ``iters=k``; each rung of a ladder);
  ``proxy_<k>_cosine``: with the lr annealed to 0 over the ``k`` steps
  (``proxy=dict(schedule='cosine')``);
* ``proxy_<k>[_cosine]_loss``: minus the training loss summed over those
  steps (a training-speed estimate);
* ``proxy_<k>[_cosine]_shared<g>``: the same proxy shared (``proxy=dict(
  share=g)``): the archs in runs of about ``g`` (interleaved over the
  list), each run ``k`` steps per arch, every arch scored after its run;
* ``flops``, ``params``: the cost table (bigger is better, the baseline
  "pick the largest");
* ``source``: the sub-network's top-1 on the source's own val split (with
  the source checkpoint, BN recalibrated on source batches).
"""
import os.path as osp
from typing import Dict, List, Optional, Sequence

from ..search.arch.job import ArchSearchJob
from ..search.core.candidate import Candidate
from ..search.job import SearchContext, WeightSnapshot
from ..search.settings import DEFAULT_PROXY, Scoring
from ..space import Arch, CostTable
from ..utils import find_hook
from .adapted_runner import build_adapted_runner

# the proxies a study measures unless told: the search's default schedule
DEFAULT_SCHEDULES = (DEFAULT_PROXY['schedule'], )


def scoring_of(config: str) -> Scoring:
    """The target's scoring settings, from its ArchSearchHook."""
    from mmengine.config import Config
    hook = find_hook(Config.fromfile(config), 'ArchSearchHook')
    return Scoring(hook['metric_key'], hook.get('rule', 'greater'),
                   tuple(hook.get('input_shape', Scoring.input_shape)),
                   hook.get('calibrate_batches',
                            Scoring.calibrate_batches), 0, hook.get('seed', 0))


def proxy_name(iters: int, schedule: str = 'constant') -> str:
    """The signal name of a proxy finetune of ``iters`` steps."""
    return f'proxy_{iters}' + ('' if schedule == 'constant'
                               else f'_{schedule}')


def target_signals(config: str, adapted: str, archs: Sequence[Arch],
                   proxy_iters: Sequence[int], proxy_lr: float,
                   work_dir: str,
                   schedules: Sequence[str] = DEFAULT_SCHEDULES,
                   shared_group: int = 0) -> List[Dict[str, float]]:
    """Per arch: inherited, flops, params and, per proxy length and
    schedule, its :func:`proxy_name` and ``<name>_loss`` (``shared_group``
    > 0: also ``<name>_shared<g>``)."""
    runner = build_adapted_runner(config, adapted, work_dir)
    ctx = SearchContext(runner.model, runner.train_dataloader,
                        runner.val_loop.dataloader,
                        runner.val_loop.evaluator, work_dir)
    scoring = scoring_of(config)
    supernet = ctx.supernet
    table = CostTable.of(supernet, scoring.input_shape)
    build = ArchSearchJob.build('rank study', scoring).scorers(ctx)
    scorer = build.scorer(build.set_path())
    snapshot = WeightSnapshot(ctx.model)
    # one proxy (finetune, scorer) per length, built once: each arch's run
    # restarts from the adapted weights the snapshot holds
    proxies = {}
    for k in proxy_iters:
        for schedule in schedules:
            proxied = ArchSearchJob.build('rank study', scoring, proxy=dict(
                iters=k, lr=proxy_lr, schedule=schedule),
                fitness='proxy').scorers(ctx)
            proxies[proxy_name(k, schedule)] = (
                proxied.proxy_finetune(), proxied.scorer(
                    proxied.restart_path(snapshot), scorer.calib_loader))
    out = []
    for arch in archs:
        flops, params = table.cost(arch)
        cand = Candidate(arch, flops, params, 0)
        row = dict(flops=float(flops), params=float(params))
        row['inherited'] = scorer.score(cand).score
        for name, (proxy, proxy_scorer) in proxies.items():
            row[name] = proxy_scorer.score(cand, proxy).score
            row[name + '_loss'] = -proxy.loss_sum
        snapshot.restore()
        out.append(row)
    if shared_group > 0:
        _shared_signals(out, ctx, scoring, scorer, snapshot, archs,
                        proxy_iters, proxy_lr, schedules, shared_group)
    return out


def _shared_signals(out: List[Dict[str, float]], ctx: SearchContext,
                    scoring: Scoring, scorer, snapshot: WeightSnapshot,
                    archs: Sequence[Arch], proxy_iters: Sequence[int],
                    proxy_lr: float, schedules: Sequence[str],
                    shared_group: int) -> None:
    """Adds ``<proxy>_shared<g>`` to each row of ``out``: the archs in
    runs of about ``shared_group``, interleaved over the list (ranked by
    search score), as a search generation mixes good and bad candidates."""
    runs = max(1, len(archs) // shared_group)
    order = [i for r in range(runs) for i in range(r, len(archs), runs)]
    for k in proxy_iters:
        for schedule in schedules:
            name = f'{proxy_name(k, schedule)}_shared{shared_group}'
            job = ArchSearchJob.build('rank study', scoring, proxy=dict(
                iters=k, lr=proxy_lr, schedule=schedule,
                share=shared_group))
            shared = job.scorers(ctx).shared_proxy(snapshot)
            cands = {i: Candidate(archs[i], 0, 0, 0) for i in order}
            for part in shared.plan([cands[i] for i in order]):
                shared.train(part)
                for cand in part:
                    scorer.score(cand)
            for i, cand in cands.items():
                out[i][name] = cand.score
            snapshot.restore()


def source_signal(config: str, checkpoint: str, archs: Sequence[Arch],
                  calibrate_batches: int, work_dir: str,
                  seed: int = 0) -> List[float]:
    """Each arch's top-1 on the source's own val split."""
    runner = build_adapted_runner(config, checkpoint, work_dir)
    ctx = SearchContext(runner.model, runner.train_dataloader,
                        runner.val_loop.dataloader,
                        runner.val_loop.evaluator, work_dir)
    scoring = Scoring('accuracy/top1', calibrate_batches=calibrate_batches,
                      noise_repeats=0, seed=seed)
    build = ArchSearchJob.build('source signal', scoring).scorers(ctx)
    scorer = build.scorer(build.set_path())
    return [scorer.score(Candidate(a, 0, 0, 0)).score for a in archs]


def all_signals(config: str, adapted: str, archs: Sequence[Arch],
                proxy_iters: Sequence[int], proxy_lr: float, work_dir: str,
                source: Optional[Dict[str, str]] = None,
                schedules: Sequence[str] = DEFAULT_SCHEDULES,
                shared_group: int = 0) -> List[Dict[str, float]]:
    """``source``: ``dict(config=..., checkpoint=...)`` of the source run
    (adds the ``source`` signal)."""
    rows = target_signals(config, adapted, archs, proxy_iters, proxy_lr,
                          osp.join(work_dir, 'target'), schedules,
                          shared_group)
    if source:
        accs = source_signal(source['config'], source['checkpoint'], archs,
                             scoring_of(config).calibrate_batches,
                             osp.join(work_dir, 'source'))
        for row, acc in zip(rows, accs):
            row['source'] = acc
    return rows
