"""Does a fitness predict the finetuned result? On a target that
``tools/run_demo.py`` already searched (its ``OUT/<key>/search``), take N
archs the search scored (spread over its score ranks), finetune each with
the row budget over S seeds, and report the Kendall tau (with its null
std, and within the top quarter) of every held-out-free signal a search
could rank by: the search's own fitness, inherited weights, a proxy
finetune of each length in ``--proxy-iters`` and lr schedule in
``--proxy-schedules`` (its search-split metric and its training-loss
sum; with ``--proxy-shared G`` also the proxy shared by runs of about G
archs, as ``proxy=dict(share=G)`` shares it in a search), FLOPs, params
and, with ``--source-config``, the sub-network's accuracy on the
source's own val split.

    python tools/analysis/rank_study.py --target cub --archs 24 --seeds 2 \
        --proxy-iters 60 180 --proxy-schedules cosine [--out work_dirs/demo]

Writes ``OUT/<key>/rank_study.json`` (points and taus) and its plot.
"""
import argparse
import os
import os.path as osp

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

from transnas_mm.comparison.rank_study import rank_study  # noqa: E402
from transnas_mm.comparison.steps import Steps, last_checkpoint  # noqa
from transnas_mm.comparison.target_spec import DEMO_TARGETS, TargetSpec  # noqa
from transnas_mm.search.scoring.proxy import SCHEDULES  # noqa: E402
from transnas_mm.search.settings import DEFAULT_PROXY, Proxy  # noqa


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--target', default='cub',
                        help="'cub', 'coco' or your search config (run "
                        'with run_demo.py --target-config first)')
    parser.add_argument('--out', default='work_dirs/demo')
    parser.add_argument('--archs', type=int, default=24)
    parser.add_argument('--seeds', type=int, default=2)
    parser.add_argument('--proxy-iters', type=int, nargs='*',
                        default=[60, DEFAULT_PROXY['iters']])
    parser.add_argument('--proxy-lr', type=float,
                        default=DEFAULT_PROXY['lr'])
    parser.add_argument('--proxy-schedules', nargs='+',
                        default=[DEFAULT_PROXY['schedule']],
                        choices=SCHEDULES,
                        help='the lr schedule(s) of each proxy length '
                        '(default: the hooks\' default proxy\'s)')
    parser.add_argument('--proxy-shared', type=int, default=0, metavar='G',
                        help='also each proxy shared by runs of about G '
                        'archs (every arch its steps on the run\'s '
                        'weights), as proxy=dict(share=G) shares a search '
                        'generation; 0: off')
    parser.add_argument('--source-config',
                        default='configs/transnas/demo/supernet_source.py')
    parser.add_argument('--source',
                        help='source checkpoint (default: OUT/'
                        'supernet_source.pth if it exists)')
    parser.add_argument('--fresh-processes', action='store_true')
    parser.add_argument('--quick', action='store_true',
                        help="tiny finetune budgets (run_demo.py --quick's)")
    args = parser.parse_args()
    try:  # the rule a search applies to proxy.share, before any work
        Proxy.parse('--proxy-shared', dict(iters=1, share=args.proxy_shared))
    except ValueError as e:
        parser.error(str(e))
    return args


def print_result(key: str, result: dict) -> None:
    """Each signal's rank correlation with the finetuned results."""
    print(f'{key}: {result["archs"]} archs ({result["logged"]} scored '
          f'by the search) x {result["seeds"]} seeds, null std of tau '
          f'{result["null_std"]:.2f}')
    tables = [('mean of all seeds', result['taus'], '')]
    if 'taus_2_seeds' in result:
        tables.append(('mean of seeds 0 and 1', result['taus_2_seeds'],
                       '_2_seeds'))
    for title, table, suffix in tables:
        print(f' against the {title} (halves of the seeds agree at tau '
              f'{result["seed_agreement" + suffix]:+.2f}; a perfect '
              f'predictor would reach about '
              f'{result["tau_ceiling" + suffix]:+.2f}):')
        for name, t in sorted(table.items(), key=lambda kv: -kv[1]['tau']):
            print(f'  {name:>16}: tau {t["tau"]:+.2f} over {t["points"]}, '
                  f'top quarter {t["top_quarter_tau"]:+.2f}; its pick '
                  f'{t["pick"]:.4g}, its top three {t["top3"]:.4g}')


def main() -> None:
    args = parse_args()
    specs = {s.key: s for s in DEMO_TARGETS.values()}
    spec = specs.get(args.target) or TargetSpec.from_config(args.target)
    out = osp.abspath(args.out)
    base = osp.join(out, spec.key)
    search = osp.join(base, 'search')
    if not osp.isfile(osp.join(search, 'search', 'search_log.jsonl')):
        raise SystemExit(f'{search}: no search_log.jsonl; expected a '
                         f'target searched by tools/run_demo.py')
    source = args.source or osp.join(out, 'supernet_source.pth')
    steps = Steps(ROOT, hasattr(os, 'fork') and not args.fresh_processes)
    if steps.warm:
        from transnas_mm.comparison.warm_steps import preload
        preload()
    result = rank_study(
        steps, spec, base, osp.join(search, 'search'),
        last_checkpoint(search), osp.join(search, 'search', 'finetune.py'),
        args.archs, args.quick, args.seeds, args.proxy_iters, args.proxy_lr,
        dict(config=args.source_config, checkpoint=source)
        if args.source_config and osp.isfile(source) else None,
        args.proxy_schedules, args.proxy_shared)
    print_result(spec.key, result)

if __name__ == '__main__':
    main()
