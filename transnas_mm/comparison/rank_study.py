"""Does the search's ranking predict the final one? Architectures the
search scored, spread over its score ranks, each finetuned with the row
budget and tested on the held-out split; Kendall tau of each ranking a user
could pick by (the search fitness, FLOPs, params) against the held-out
result, with the tau's null std so a reader can tell signal from luck."""
import json
import math
import os
import os.path as osp
import statistics
from typing import Dict, List, Optional, Sequence

from ..search.candidate import WORST, Candidate
from ..space import load_arch, save_arch, space_of
from ..utils.atomic_io import atomic_write_json
from .steps import Steps


def null_std(n: int) -> float:
    """Std of Kendall tau between two independent rankings of ``n``."""
    return math.sqrt(2 * (2 * n + 5) / (9 * n * (n - 1))) if n > 1 \
        else math.nan


def kendall(x: Sequence[float], y: Sequence[float]) -> float:
    from scipy.stats import kendalltau
    if len(x) < 2:
        return math.nan
    return float(kendalltau(x, y).statistic)


def spread(cands: List[Candidate], n: int) -> List[Candidate]:
    """``n`` distinct archs evenly spread over the score ranks."""
    seen, unique = set(), []
    for c in sorted((c for c in cands if c.score > WORST),
                    key=lambda c: c.score):
        if c.key not in seen:
            seen.add(c.key)
            unique.append(c)
    if len(unique) <= n:
        return unique
    return [unique[round(i * (len(unique) - 1) / (n - 1))] for i in range(n)]


def taus(points: List[dict], signals: Sequence[str]) -> Dict[str, dict]:
    """Per ranking signal: tau over all points and within the top quarter
    by held-out result (the archs a user would pick among), and what
    picking by it gives: the held-out result of its best point and the mean
    of its best three."""
    held = [p['heldout'] for p in points]
    top = sorted(points, key=lambda p: p['heldout'], reverse=True)[
        :max(2, len(points) // 4)]
    def picks(signal: str) -> List[float]:
        return [p['heldout'] for p in sorted(
            points, key=lambda p: -p[signal])[:3]]

    return {signal: dict(
        tau=kendall([p[signal] for p in points], held),
        top_quarter_tau=kendall([p[signal] for p in top],
                                [p['heldout'] for p in top]),
        pick=picks(signal)[0], top3=statistics.mean(picks(signal)))
        for signal in signals}


def rank_study(steps: Steps, spec, base: str, found: str, adapted: str,
               finetune_cfg: str, n: int, fast: bool, seeds: int = 1,
               proxy_iters: Sequence[int] = (), proxy_lr: float = 0.01,
               source: Optional[Dict[str, str]] = None) -> dict:
    """``n`` archs of the search log, exported with plain inheritance,
    finetuned over ``seeds`` seeds; every held-out-free signal of
    :mod:`.fitness_signals` (``proxy_iters``: the proxy rungs; ``source``:
    the source run, for the source-accuracy signal) beside the search's
    own fitness. Writes ``rank_study.json`` (points and taus) and its
    plot."""
    from .target import finetune_and_test  # target imports this module
    space = space_of(load_arch(osp.join(found, 'arch.json')))
    logged = [Candidate.from_dict(json.loads(line), space)
              for line in open(osp.join(found, 'search_log.jsonl'))]
    picked = spread(logged, n)
    study = osp.join(base, 'rank_study')
    os.makedirs(study, exist_ok=True)
    signals_file = osp.join(study, 'signals.json')
    if not osp.isfile(signals_file) or \
            len(json.load(open(signals_file))) != len(picked):
        def measure() -> None:
            from .fitness_signals import all_signals
            atomic_write_json(signals_file, all_signals(
                spec.config, adapted, [c.arch for c in picked], proxy_iters,
                proxy_lr, osp.join(study, 'signals'), source))
        steps.forked(measure, signals_file + '.log')
    signals = json.load(open(signals_file))
    points = []
    for k, (cand, measured) in enumerate(zip(picked, signals)):
        rdir = osp.join(study, f'arch{k:02d}')
        os.makedirs(rdir, exist_ok=True)
        arch_file = osp.join(rdir, 'candidate.json')
        save_arch(cand.arch, arch_file)
        steps.once(osp.join(rdir, 'net.done'), f'{spec.key}/rank{k}: network',
                   steps.script('tools/baseline_subnet.py', spec.config,
                                adapted, osp.join(rdir, 'net'), '--kind',
                                'searched', '--arch', arch_file),
                   osp.join(rdir, 'net.log'))
        held = [finetune_and_test(
            steps, f'{spec.key}/rank{k}/seed{seed}', spec,
            rdir if seed == 0 else osp.join(rdir, f'seed{seed}'),
            finetune_cfg, osp.join(rdir, 'net', 'arch.json'),
            osp.join(rdir, 'net', 'subnet_model.pth'), seed, fast)[0]
            for seed in range(seeds)]
        points.append(dict(fitness=cand.score, **measured,
                           heldout_seeds=held,
                           heldout=statistics.mean(held)))
    names = ['fitness'] + list(signals[0]) if signals else ['fitness']
    result = dict(metric_key=spec.metric, archs=len(points), seeds=seeds,
                  null_std=null_std(len(points)), taus=taus(points, names),
                  points=points)
    result['kendall_tau'] = result['taus']['fitness']['tau']
    atomic_write_json(osp.join(base, 'rank_study.json'), result)
    plot_rank_study(osp.join(base, 'rank_study.png'), result)
    return result


def plot_rank_study(path: str, result: dict) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from ..search import save_figure
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.scatter([p['fitness'] for p in result['points']],
               [p['heldout'] for p in result['points']])
    ax.set_xlabel('search fitness (search split, before finetune)')
    ax.set_ylabel(f'held-out {result["metric_key"]} after finetune')
    ax.set_title(f'Kendall tau = {result["kendall_tau"]:.2f} (null std '
                 f'{result["null_std"]:.2f}, n = {result["archs"]})')
    save_figure(fig, path)
    plt.close(fig)
