"""Does a weight-search fitness predict the post-finetune result?

For one searched architecture of a target (its adapted supernet and
``arch.json`` from a search run, e.g. ``make demo``'s CUB target): draw N
weight-source assignments (plain inheritance + seeded mutations), score
each with every fitness variant on the search split, then finetune each
with the target's one finetune budget (its ``finetune.py``) and test it on
the held-out split. Prints and writes the Kendall tau of each fitness vs
the held-out result.

    python benchmarks/nws_fitness_study.py SEARCH_CONFIG ADAPTED.pth \
        SEARCH_DIR OUT_DIR [--n 12] [--proxy-iters 20]

Fitness variants: ``inherit`` (today's: inherited weights, BN recalibrated,
scored on the search split), ``proxy`` (a short SGD finetune on fixed
training batches first).
"""
import argparse
import copy
import json
import os
import os.path as osp
import subprocess
import sys

import transnas_mm  # noqa: F401
from transnas_mm.comparison.adapted_runner import (build_adapted_runner,
                                                   hook_settings)
from transnas_mm.engine import find_supernet
from transnas_mm.search.job import SearchContext
from transnas_mm.search.settings import Scoring
from transnas_mm.search.weights.job import WeightSearchJob, whole_model
from transnas_mm.space import load_arch
from transnas_mm.utils.atomic_io import atomic_torch_save, atomic_write_json

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('adapted')
    parser.add_argument('search_dir')
    parser.add_argument('out')
    parser.add_argument('--n', type=int, default=12)
    parser.add_argument('--mutation-prob', type=float, default=0.3)
    parser.add_argument('--proxy-iters', type=int, default=20)
    parser.add_argument('--proxy-lr', type=float, default=0.01)
    parser.add_argument('--calibrate-batches', type=int, default=4)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    runner = build_adapted_runner(args.config, args.adapted,
                                  osp.join(args.out, 'runner'))
    supernet = find_supernet(runner.model)
    arch = load_arch(osp.join(args.search_dir, 'arch.json'), supernet.space)
    supernet.set_arch(arch)
    metric = hook_settings(args.config, 'ArchSearchHook')['metric_key']
    job = WeightSearchJob.build(
        'nws_fitness_study', Scoring(
            metric, calibrate_batches=args.calibrate_batches,
            noise_repeats=0, seed=args.seed),
        mode='evolution', search=dict(mutation_prob=args.mutation_prob),
        proxy=dict(iters=args.proxy_iters, lr=args.proxy_lr))
    ctx = SearchContext.from_runner(runner)
    parts = job.setup(ctx, arch)
    rows = []
    for k, sources in enumerate(parts.search.sample_assignments(args.n)):
        cand = parts.search.candidate(sources)
        fit_inherit = parts.scorer.score(copy.deepcopy(cand)).score
        fit_proxy = parts.scorer.score(copy.deepcopy(cand),
                                       parts.proxy).score
        # the network the finetune starts from: inherited weights (no
        # proxy), BN recalibrated, as WeightSearchJob exports it
        job.materialize(parts.scorer, cand, None)
        rdir = osp.join(args.out, f'assign{k:02d}')
        os.makedirs(rdir, exist_ok=True)
        weights = osp.join(rdir, 'model.pth')
        atomic_torch_save(dict(state_dict=whole_model(
            runner.model, supernet, supernet.export_subnet(arch))), weights)
        rows.append(dict(index=k, sources=sources, fit_inherit=fit_inherit,
                         fit_proxy=fit_proxy, weights=weights,
                         changed=sum(s != p for s, p in
                                     zip(sources, parts.search.plain))))
        print(f'assignment {k}: {rows[-1]["changed"]} layers changed, '
              f'inherit {fit_inherit:.3f}, proxy {fit_proxy:.3f}',
              flush=True)
    parts.snapshot.restore()
    finetune_cfg = osp.join(args.search_dir, 'finetune.py')
    py = sys.executable
    for r in rows:
        rdir = osp.dirname(r['weights'])
        work = osp.join(rdir, 'finetune')
        opts = ['--cfg-options',
                f'model.backbone.arch={osp.join(args.search_dir, "arch.json")}',
                f'load_from={r["weights"]}', 'randomness.seed=0']
        subprocess.run([py, 'tools/train.py', finetune_cfg, '--work-dir',
                        work] + opts, cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ckpt = open(osp.join(work, 'last_checkpoint')).read().strip()
        result = osp.join(rdir, 'heldout.json')
        subprocess.run([py, 'tools/test.py', finetune_cfg, ckpt,
                        '--work-dir', osp.join(rdir, 'test'),
                        '--out-metrics', result] + opts, cwd=ROOT,
                       check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        r['heldout'] = json.load(open(result))[metric]
        print(f'assignment {r["index"]}: held-out {r["heldout"]:.3f}',
              flush=True)
    from scipy.stats import kendalltau
    held = [r['heldout'] for r in rows]
    taus = {name: float(kendalltau([r[f'fit_{name}'] for r in rows],
                                   held).statistic)
            for name in ('inherit', 'proxy')}
    plain = rows[0]['heldout']
    summary = dict(metric_key=metric, n=len(rows), kendall_tau=taus,
                   heldout_plain=plain,
                   heldout_best_other=max(held[1:]) if len(held) > 1
                   else None,
                   rows=rows)
    atomic_write_json(osp.join(args.out, 'nws_fitness_study.json'), summary)
    print(json.dumps(dict(kendall_tau=taus, heldout_plain=plain,
                          heldout=held)))


if __name__ == '__main__':
    main()
