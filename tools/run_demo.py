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
"""
import argparse
import glob
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
import time
from typing import Dict, List, Optional, Tuple

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
PY = sys.executable
WARM = hasattr(os, 'fork')  # steps forked from a warm interpreter
TARGETS = {
    'detection (COCO json, digits 5-9, 150 training canvases)':
    dict(key='coco', config='configs/transnas/demo/coco_search.py',
         metric='coco/bbox_mAP'),
    'fine-grained (CUB layout, digits 5-9, 20 labels per class)':
    dict(key='cub', config='configs/transnas/demo/cub_search.py',
         metric='accuracy/top1'),
}
ROWS = (('scratch', 'scratch (hand arch, random init)'),
        ('finetune', 'finetune (hand arch, source weights, no search)'),
        ('static', 'static (hand arch trained alone on the source, '
         'finetuned)'),
        ('hand', 'hand arch from the adapted supernet'),
        ('random', 'random arch + plain inheritance'),
        ('nas_plain', 'NAS + plain inheritance'),
        ('nas_nws', 'NAS + NWS'))


def say(msg: str) -> None:
    print(f'[demo] {time.strftime("%H:%M:%S")} {msg}', flush=True)


def run(name: str, cmd: List[str], log: str) -> float:
    """Run one step, its output in ``log``; stop the demo on failure. With
    ``WARM`` (the default where the OS can fork) the step runs in a child
    forked from this process, whose OpenMMLab imports are done once."""
    say(f'{name}: {" ".join(osp.relpath(c, ROOT) if c.startswith(ROOT) else c for c in cmd[1:])}')
    t0 = time.time()
    os.makedirs(osp.dirname(log), exist_ok=True)
    if WARM and cmd[0] == PY:
        from transnas_mm.utils.warm_steps import run_script
        code = run_script(cmd[1:], log, ROOT)
    else:
        with open(log, 'w') as f:
            code = subprocess.run(cmd, cwd=ROOT, stdout=f,
                                  stderr=subprocess.STDOUT).returncode
    if code != 0:
        tail = open(log).read()[-3000:]
        raise SystemExit(f'{tail}\n[demo] {name} FAILED (exit '
                         f'{code}); log: {log}')
    return time.time() - t0


def once(done: str, name: str, cmd: List[str], log: str) -> float:
    """``run`` unless ``done`` exists; records the wall time in it."""
    if osp.isfile(done):
        say(f'{name}: done already')
        return json.load(open(done))['seconds']
    seconds = run(name, cmd, log)
    with open(done + '.tmp', 'w') as f:
        json.dump(dict(seconds=seconds), f)
    os.replace(done + '.tmp', done)
    return seconds


def last_checkpoint(work: str) -> str:
    with open(osp.join(work, 'last_checkpoint')) as f:
        return f.read().strip()


def source_accuracy(work: str) -> str:
    """The source supernet's own held-out accuracy (last validation of the
    reference, largest and smallest sub-networks), from its scalars log."""
    logs = sorted(glob.glob(osp.join(work, '*', 'vis_data', 'scalars.json')))
    last = {}
    for log in logs:
        for line in open(log):
            rec = json.loads(line)
            if 'accuracy/top1' in rec:
                last = rec
    if not last:
        return 'source held-out accuracy: n/a'
    return ('source held-out top-1 (its own val split, after BN '
            'recalibration): reference {:.1f}, largest {:.1f}, smallest '
            '{:.1f}'.format(last.get('accuracy/top1', float('nan')),
                            last.get('largest/accuracy/top1', float('nan')),
                            last.get('smallest/accuracy/top1',
                                     float('nan'))))


def static_note(out: str) -> str:
    """The static network's source accuracy and the compute of both
    sources (same data, schedule and machine)."""
    secs = {k: json.load(open(osp.join(out, f'{k}.done')))['seconds']
            for k in ('source', 'static')}
    logs = sorted(glob.glob(osp.join(out, 'static_source', '*', 'vis_data',
                                     'scalars.json')))
    acc = [json.loads(ln)['accuracy/top1'] for log in logs
           for ln in open(log) if 'accuracy/top1' in ln]
    return (f'static row source: the hand chain trained alone, same data '
            f'and schedule; its source held-out top-1 '
            f'{acc[-1] if acc else float("nan"):.1f}; source compute '
            f'{secs["static"]:.0f}s vs {secs["source"]:.0f}s for the '
            f'super-network')


def search_seconds(path: str) -> float:
    if not osp.isfile(path):
        return 0.0
    return sum(json.loads(line)['seconds'] for line in open(path))


# --quick: the same pipeline with tiny budgets (CI integration test).
QUICK = dict(
    source=['train_cfg.max_epochs=2', 'train_cfg.val_interval=2',
            'train_dataloader.dataset.indices=128',
            'model.backbone.warmup_iters=4',
            'default_hooks.checkpoint.interval=1'],
    search=['train_cfg.max_epochs=1', 'train_dataloader.dataset.indices=32',
            'val_dataloader.dataset.indices=16',
            'test_dataloader.dataset.indices=16',
            'model.test_cfg.score_thr=0.0',
            'custom_hooks.ArchSearchHook.search.population=3',
            'custom_hooks.ArchSearchHook.search.generations=2',
            'custom_hooks.ArchSearchHook.search.num_mutation=2',
            'custom_hooks.ArchSearchHook.search.num_crossover=1',
            'custom_hooks.ArchSearchHook.proxy.iters=2',
            'custom_hooks.WeightSearchHook.proxy.iters=2',
            'custom_hooks.WeightSearchHook.mode=evolution',
            'custom_hooks.WeightSearchHook.search.population=2',
            'custom_hooks.WeightSearchHook.search.generations=2',
            # 32 samples hold 2 batches of 16 (more is refused)
            'custom_hooks.ArchSearchHook.calibrate_batches=2',
            'custom_hooks.WeightSearchHook.calibrate_batches=2',
            'default_hooks.checkpoint.interval=1'],
    finetune=['train_cfg.max_epochs=1', 'train_dataloader.dataset.indices=32',
              'val_dataloader.dataset.indices=16',
              'test_dataloader.dataset.indices=16',
              'model.test_cfg.score_thr=0.0'],
)


def quick(step: str, key: str, enabled: bool) -> List[str]:
    if not enabled:
        return []
    opts = QUICK[step]
    if key == 'static_source':  # its warm-up never ends: it stays static
        opts = [o for o in opts if 'warmup_iters' not in o]
    if key in ('cub', 'cls'):  # ImageClassifier has no test_cfg.score_thr;
        # their searches use no proxy finetune (detection's do: 2 steps)
        opts = [o for o in opts
                if 'score_thr' not in o and '.proxy.' not in o]
    return opts


def row_latency(found: str):
    """arch.json path -> ms (batch 1, this CPU) from a per-(layer, op)
    latency table of the target's space at its search input shape:
    the search's own ``latency_table.json`` if it measured one, else
    measured once here and kept beside it."""
    from transnas_mm.space import LatencyTable, SearchSpace, load_arch
    doc = json.load(open(osp.join(found, 'cost_table.json')))
    space = SearchSpace.from_dict(doc['space'])
    path = osp.join(found, 'latency_table.json')
    if not osp.isfile(path):
        def measure() -> None:
            LatencyTable.measure(space, doc['input_shape']).save(path)
        if WARM:  # a forked parent must not run torch ops itself
            from transnas_mm.utils.warm_steps import run_forked
            if run_forked(measure, path + '.log', ROOT) != 0:
                raise SystemExit(f'[demo] latency table FAILED; log: '
                                 f'{path}.log')
        else:
            measure()
    table = LatencyTable.load(path, space)
    return lambda arch_file: table.latency(load_arch(arch_file, space))


def finetune_and_test(name: str, spec: dict, rdir: str, finetune_cfg: str,
                      arch: str, load: Optional[str], seed: int,
                      fast: bool) -> Tuple[Optional[float], float]:
    """Finetune ``arch`` from ``load`` (None: random init) with the target's
    one finetune budget, then test it on the held-out split. Returns the
    held-out metric and the finetune seconds."""
    row_opts = ['--cfg-options', f'model.backbone.arch={arch}',
                f'load_from={load}', f'randomness.seed={seed}'
                ] + quick('finetune', spec.get('task', spec['key']), fast)
    ft = osp.join(rdir, 'finetune')
    seconds = once(
        osp.join(rdir, 'finetune.done'), f'{name}: finetune',
        [PY, 'tools/train.py', finetune_cfg, '--work-dir', ft,
         '--resume'] + row_opts, osp.join(rdir, 'finetune.log'))
    result = osp.join(rdir, 'heldout.json')
    once(osp.join(rdir, 'test.done'), f'{name}: held-out test',
         [PY, 'tools/test.py', finetune_cfg, last_checkpoint(ft),
          '--work-dir', osp.join(rdir, 'test'), '--out-metrics',
          result] + row_opts, osp.join(rdir, 'test.log'))
    return json.load(open(result)).get(spec['metric']), seconds


def rank_study(spec: dict, base: str, found: str, adapted: str,
               finetune_cfg: str, n: int, fast: bool) -> dict:
    """Does the search's ranking predict the final one? ``n`` architectures
    the search scored (evenly spread over its score ranks), each exported
    with plain inheritance, finetuned with the row budget and tested on the
    held-out split; Kendall tau of search fitness vs held-out result."""
    from scipy.stats import kendalltau
    from transnas_mm.space import load_arch, make_arch, save_arch, space_of
    space = space_of(load_arch(osp.join(found, 'arch.json')))
    logged = [json.loads(line)
              for line in open(osp.join(found, 'search_log.jsonl'))]
    seen, cands = set(), []
    for c in sorted((c for c in logged if c['score'] is not None),
                    key=lambda c: c['score']):
        sig = json.dumps(c['layers'], sort_keys=True)
        if sig not in seen:
            seen.add(sig)
            cands.append(c)
    if len(cands) > n:
        cands = [cands[round(i * (len(cands) - 1) / (n - 1))]
                 for i in range(n)]
    points = []
    for k, c in enumerate(cands):
        rdir = osp.join(base, 'rank_study', f'arch{k:02d}')
        os.makedirs(rdir, exist_ok=True)
        arch_file = osp.join(rdir, 'candidate.json')
        save_arch(make_arch(space, [ly['op'] for ly in c['layers']],
                            [ly['edges'] for ly in c['layers']]), arch_file)
        once(osp.join(rdir, 'net.done'), f'{spec["key"]}/rank{k}: network',
             [PY, 'tools/baseline_subnet.py', spec['config'], adapted,
              osp.join(rdir, 'net'), '--kind', 'searched', '--arch',
              arch_file], osp.join(rdir, 'net.log'))
        metric, _ = finetune_and_test(
            f'{spec["key"]}/rank{k}', spec, rdir, finetune_cfg,
            osp.join(rdir, 'net', 'arch.json'),
            osp.join(rdir, 'net', 'subnet_model.pth'), 0, fast)
        points.append(dict(fitness=c['score'], heldout=metric))
    tau = kendalltau([p['fitness'] for p in points],
                     [p['heldout'] for p in points]).statistic
    result = dict(metric_key=spec['metric'], kendall_tau=float(tau),
                  points=points)
    from transnas_mm.utils.atomic_io import atomic_write_json
    atomic_write_json(osp.join(base, 'rank_study.json'), result)
    _plot_rank_study(osp.join(base, 'rank_study.png'), result)
    return result


def _plot_rank_study(path: str, result: dict) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from transnas_mm.search import save_figure
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.scatter([p['fitness'] for p in result['points']],
               [p['heldout'] for p in result['points']])
    ax.set_xlabel('search fitness (search split, before finetune)')
    ax.set_ylabel(f'held-out {result["metric_key"]} after finetune')
    ax.set_title(f'Kendall tau = {result["kendall_tau"]:.2f}')
    save_figure(fig, path)
    plt.close(fig)


def target(name: str, spec: dict, out: str, source: str, seeds: int,
           fast: bool = False, rank_archs: int = 0,
           static: Optional[str] = None) -> dict:
    key = spec['key']
    base = osp.join(out, key)
    search = osp.join(base, 'search')
    opts = ['--cfg-options',
            f'model.backbone.init_cfg.checkpoint={source}'] + \
        quick('search', spec.get('task', key), fast)
    once(osp.join(base, 'search.done'), f'{key}: adapt + NAS + NWS',
         [PY, 'tools/train.py', spec['config'], '--work-dir', search] +
         opts, osp.join(base, 'search.log'))
    found = osp.join(search, 'search')
    adapted = last_checkpoint(search)
    finetune_cfg = osp.join(found, 'finetune.py')
    nas_s = search_seconds(osp.join(found, 'search_log.jsonl'))
    nws_s = search_seconds(osp.join(found, 'nws_log.jsonl'))
    total_s = json.load(open(osp.join(base, 'search.done')))['seconds']
    adapt_s = max(0.0, total_s - nas_s - nws_s)
    rows = []
    latency = row_latency(found)
    for row, title in ROWS:
        if row == 'static' and static is None:
            continue  # no static source network given
        metrics, finetune_s, flops, params, ms = [], [], [], [], []
        for seed in range(seeds):
            rdir = osp.join(base, f'{row}_seed{seed}')
            load = None  # scratch: random init
            if row == 'nas_nws':
                arch = osp.join(found, 'arch.json')
                load = osp.join(found, 'subnet_model.pth')
                cost = json.load(open(osp.join(found, 'summary.json')))
            else:
                # finetune: the source supernet's weights (backbone only,
                # the source head is another task's); the others inherit
                # from the supernet adapted on this target.
                kind = dict(scratch='hand', finetune='hand', static='hand',
                            hand='hand', random='random',
                            nas_plain='searched')[row]
                ckpt = dict(finetune=source, static=static).get(row, adapted)
                once(osp.join(rdir, 'net.done'), f'{key}/{row}: network',
                     [PY, 'tools/baseline_subnet.py', spec['config'],
                      ckpt, osp.join(rdir, 'net'), '--kind', kind,
                      '--seed', str(seed)] +
                     (['--arch', osp.join(found, 'arch.json')]
                      if kind == 'searched' else []) +
                     (['--backbone-only'] if row in ('finetune', 'static')
                      else []),
                     osp.join(rdir, 'net.log'))
                arch = osp.join(rdir, 'net', 'arch.json')
                if row != 'scratch':
                    load = osp.join(rdir, 'net', 'subnet_model.pth')
                cost = json.load(open(osp.join(rdir, 'net', 'cost.json')))
            flops.append(cost['flops'])  # random: another arch per seed
            params.append(cost['params'])
            ms.append(latency(arch))
            metric, seconds = finetune_and_test(
                f'{key}/{row}', spec, rdir, finetune_cfg, arch, load, seed,
                fast)
            metrics.append(metric)
            finetune_s.append(seconds)
        search_s = dict(nas_plain=nas_s, nas_nws=nas_s + nws_s).get(row, 0.0)
        row_adapt = 0.0 if row in ('scratch', 'finetune', 'static') \
            else adapt_s
        rows.append(dict(key=row, name=title,
                         flops=sum(flops) / len(flops),
                         params=sum(params) / len(params),
                         latency_ms=sum(ms) / len(ms),
                         metric=metrics, search_s=[search_s],
                         finetune_s=finetune_s,
                         target_s=[row_adapt + search_s + f
                                   for f in finetune_s]))
    from transnas_mm.search import plot_arch
    from transnas_mm.space import load_arch
    plot_arch(osp.join(found, 'arch.png'),
              load_arch(osp.join(found, 'arch.json')))
    nws = json.load(open(osp.join(found, 'weight_sources.json')))
    study = rank_study(spec, base, found, adapted, finetune_cfg, rank_archs,
                       fast) if rank_archs > 1 else None
    summary = json.load(open(osp.join(found, 'summary.json')))
    return dict(metric_key=spec['metric'], rows=rows, nws=nws, study=study,
                summary=summary,
                figures={
        'search curve': osp.join(found, 'search_curve.png'),
        'Pareto front': osp.join(found, 'pareto.png'),
        'the chosen network (ops and edges)': osp.join(found, 'arch.png'),
        "where each layer's weights came from":
        osp.join(found, 'weight_sources.png'),
        'search fitness vs held-out after finetune (rank study)':
        osp.join(base, 'rank_study.png'),
    })


def own_target(config: str, metric: Optional[str]) -> Dict[str, dict]:
    """The one target of ``--target-config``: its metric key from the
    config's ArchSearchHook unless given; classifier or detector from the
    model (the quick options differ)."""
    from mmengine.config import Config
    cfg = Config.fromfile(config)
    from transnas_mm.utils import find_hook
    hook = find_hook(cfg, 'ArchSearchHook')
    if hook is None:
        raise SystemExit(f'{config}: custom_hooks: no ArchSearchHook; '
                         f'expected a search config (tools/new_target.py)')
    task = 'det' if 'bbox_head' in cfg.model or 'rpn_head' in cfg.model \
        else 'cls'
    name = osp.splitext(osp.basename(config))[0]
    return {name: dict(key='own', config=osp.abspath(config), task=task,
                       metric=metric or hook['metric_key'])}


def demo_source(out: str, fast: bool) -> Tuple[str, str]:
    """Steps 1-2: the demo data and the source super-network, trained once
    (skipped when done). Returns (checkpoint, its work dir)."""
    say('1/4 demo data')
    # the demo configs read data/demo/ (relative to the repo root)
    run('data', [PY, 'tools/prepare_demo_data.py', '--out', 'data/demo'],
        osp.join(out, 'data.log'))
    say('2/4 source super-network, trained once')
    src_work = train_source(out, 'source', 'supernet_source', fast)
    source = osp.join(out, 'supernet_source.pth')
    if not osp.isfile(source):
        shutil.copyfile(last_checkpoint(src_work), source + '.tmp')
        os.replace(source + '.tmp', source)
    return source, src_work


def static_source(out: str, fast: bool) -> str:
    """What a user would train instead: the hand chain alone on the same
    source with the same budget (trained once, skipped when done)."""
    say('2/4 static hand-chain network, trained alone on the same source')
    return last_checkpoint(train_source(out, 'static', 'static_source',
                                        fast))


def train_source(out: str, done: str, config: str, fast: bool) -> str:
    """Train ``configs/transnas/demo/<config>.py`` on the demo source once
    (resumed if interrupted); returns its work dir."""
    work = osp.join(out, config)
    once(osp.join(out, f'{done}.done'), config.replace('_', ' '),
         [PY, 'tools/train.py', f'configs/transnas/demo/{config}.py',
          '--work-dir', work, '--resume'] +
         (['--cfg-options'] + quick('source', config, True) if fast else
          []), osp.join(out, f'{config}.log'))
    return work


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default='work_dirs/demo')
    parser.add_argument('--seeds', type=int, default=1)
    parser.add_argument('--rank-study', type=int, default=0, metavar='N',
                        help='also finetune N archs the search scored and '
                        'report the Kendall tau of search fitness vs '
                        'held-out result')
    parser.add_argument('--rank-targets', nargs='+', choices=['coco', 'cub'],
                        default=['coco', 'cub'],
                        help='targets the rank study runs on')
    parser.add_argument('--targets', nargs='+', choices=['coco', 'cub'],
                        default=['coco', 'cub'], help='which targets')
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
    parser.add_argument('--fresh-processes', action='store_true',
                        help='start every step as a fresh python (default '
                        'where the OS can fork: steps are forked from this '
                        'process after one import of the OpenMMLab stack, '
                        '~6 s less per step)')
    args = parser.parse_args()
    global WARM
    WARM = WARM and not args.fresh_processes
    if WARM:
        from transnas_mm.utils.warm_steps import preload
        preload()
    out = osp.abspath(args.out)
    start = time.time()
    targets_spec = TARGETS
    if args.target_config:
        if not args.source:
            parser.error('--target-config needs --source SOURCE.pth')
        targets_spec = own_target(args.target_config, args.metric)
        args.targets = args.rank_targets = ['own']
    if args.source:
        if not osp.isfile(args.source):
            parser.error(f'--source: {args.source}: file not found')
        source, src_work = osp.abspath(args.source), None
        static = osp.abspath(args.static_source) if args.static_source \
            else None
    else:
        source, src_work = demo_source(out, args.quick)
        static = static_source(out, args.quick)
    say('3/4 targets, each from that same source checkpoint')
    targets = {name: target(name, spec, out, source, args.seeds,
                            args.quick, args.rank_study
                            if spec['key'] in args.rank_targets else 0,
                            static)
               for name, spec in targets_spec.items()
               if spec['key'] in args.targets}
    say('4/4 report')
    from transnas_mm.apis.report import best_row, write_report
    notes = [f'source: {source}' + ('' if args.source else
                                     ' (85 classes: 80 formula-driven '
                                     'textured shapes in dead-leaves clutter'
                                     ' + digits 0-4, 8500 images; targets '
                                     'use digits 5-9)'),
             source_accuracy(src_work) if src_work else
             'source held-out accuracy: n/a (given checkpoint)',
             *([static_note(out)] if src_work else []),
             f'total wall time of this invocation: '
             f'{time.time() - start:.0f}s (steps already done are skipped)']
    if args.seeds > 1:
        notes.append('seeds change the finetune seed and the random row\'s '
                     'arch (its FLOPs/params are the mean over seeds); the '
                     'searches ran once')
    for name, t in targets.items():
        s = t['nws']
        notes.append(f'{name}: NWS vs plain inheritance on the search split '
                     f'{s["search_split"]["nws"]:.4f} vs '
                     f'{s["search_split"]["plain"]:.4f}; held-out as scored '
                     f'(before the row finetune) {s["heldout"]["nws"]:.4f} vs '
                     f'{s["heldout"]["plain"]:.4f}')
        summ = t['summary']
        if summ.get('score_noise') is not None:
            notes.append(
                f'{name}: architecture fitness noise (std over '
                f'calibration draws) {summ["score_noise"]:.4f}; best minus '
                f'median candidate {summ["best_minus_median"]:.4f}'
                + (f' ({summ["best_minus_median_over_noise"]:.1f}x the '
                   f'noise)' if summ.get('best_minus_median_over_noise')
                   else '') + f'; selected by {summ["selected_by"]}')
        if s.get('noise') is not None:
            notes.append(
                f'{name}: NWS score noise {s["noise"]:.4f}, margin '
                f'{s["margin"]:.4f}: '
                + ('kept plain inheritance (no change beat it beyond the '
                   'margin)' if s.get('kept_plain') else
                   f'{sum(r["changed"] for r in s["layers"])} layer(s) '
                   f'changed'))
        if t['study']:
            notes.append(f'{name}: rank study, Kendall tau of search '
                         f'fitness vs held-out after finetune over '
                         f'{len(t["study"]["points"])} archs = '
                         f'{t["study"]["kendall_tau"]:.2f}')
    paths = write_report(out, targets, args.seeds, notes)
    say(f'report: {paths["md"]} and {paths["html"]}')
    for name, t in targets.items():
        best, hand = best_row(t['rows']), t['rows'][0]
        metric = sum(best['metric']) / len(best['metric'])
        print(f'  {name}: best row "{best["name"]}" {t["metric_key"]}='
              f'{metric:.4f}, {best["flops"] / 1e6:.2f} MFLOPs vs hand '
              f'{hand["flops"] / 1e6:.2f}')
    say(f'finished in {time.time() - start:.0f}s')


if __name__ == '__main__':
    main()
