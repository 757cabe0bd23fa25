"""The main job on the bundled demo data: one source super-network, two
targets, four rows each, and a report. It only chains commands a user could
run by hand (tools/train.py, tools/test.py, tools/baseline_subnet.py with
ordinary configs); each step is skipped when its outputs exist and resumes
when interrupted.

    python tools/run_demo.py [--seeds N] [--out work_dirs/demo]
"""
import argparse
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
import time
from typing import Dict, List, Optional

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
PY = sys.executable
TARGETS = {
    'detection (COCO json, digits 5-9)':
    dict(key='coco', config='configs/transnas/demo/coco_search.py',
         metric='coco/bbox_mAP'),
    'fine-grained (CUB layout, digits 5-9)':
    dict(key='cub', config='configs/transnas/demo/cub_search.py',
         metric='accuracy/top1'),
}
ROWS = (('hand', 'hand-designed chain (all mb_k3e6)'),
        ('random', 'random arch + plain inheritance'),
        ('nas_plain', 'NAS + plain inheritance'),
        ('nas_nws', 'NAS + NWS'))


def say(msg: str) -> None:
    print(f'[demo] {time.strftime("%H:%M:%S")} {msg}', flush=True)


def run(name: str, cmd: List[str], log: str, extra: Optional[Dict] = None
        ) -> float:
    """Run one step, its output in ``log``; stop the demo on failure."""
    say(f'{name}: {" ".join(osp.relpath(c, ROOT) if c.startswith(ROOT) else c for c in cmd[1:])}')
    t0 = time.time()
    os.makedirs(osp.dirname(log), exist_ok=True)
    with open(log, 'w') as f:
        proc = subprocess.run(cmd, cwd=ROOT, stdout=f,
                              stderr=subprocess.STDOUT,
                              env=dict(os.environ, **(extra or {})))
    if proc.returncode != 0:
        tail = open(log).read()[-3000:]
        raise SystemExit(f'{tail}\n[demo] {name} FAILED (exit '
                         f'{proc.returncode}); log: {log}')
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


def search_seconds(path: str) -> float:
    if not osp.isfile(path):
        return 0.0
    return sum(json.loads(line)['seconds'] for line in open(path))


# --quick: the same pipeline with tiny budgets (CI integration test).
QUICK = dict(
    source=['train_cfg.max_epochs=2', 'train_cfg.val_interval=2',
            'train_dataloader.dataset.indices=128',
            'default_hooks.checkpoint.interval=1'],
    search=['train_cfg.max_epochs=1', 'train_dataloader.dataset.indices=32',
            'val_dataloader.dataset.indices=16',
            'test_dataloader.dataset.indices=16',
            'model.test_cfg.score_thr=0.0',
            'custom_hooks.0.population=3', 'custom_hooks.0.generations=2',
            'custom_hooks.0.num_mutation=2', 'custom_hooks.0.num_crossover=1',
            'custom_hooks.1.mode=evolution', 'custom_hooks.1.population=2',
            'custom_hooks.1.generations=2',
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
    if key == 'cub':  # ImageClassifier has no test_cfg.score_thr
        opts = [o for o in opts if 'score_thr' not in o]
    return opts


def target(name: str, spec: dict, out: str, source: str, seeds: int,
           fast: bool = False) -> dict:
    key = spec['key']
    base = osp.join(out, key)
    search = osp.join(base, 'search')
    opts = ['--cfg-options',
            f'model.backbone.init_cfg.checkpoint={source}'] + \
        quick('search', key, fast)
    once(osp.join(base, 'search.done'), f'{key}: adapt + NAS + NWS',
         [PY, 'tools/train.py', spec['config'], '--work-dir', search] +
         opts, osp.join(base, 'search.log'))
    found = osp.join(search, 'search')
    adapted = last_checkpoint(search)
    finetune_cfg = osp.join(found, 'finetune.py')
    nas_s = search_seconds(osp.join(found, 'search_log.jsonl'))
    nws_s = search_seconds(osp.join(found, 'nws_log.jsonl'))
    rows = []
    for row, title in ROWS:
        metrics, finetune_s, flops, params = [], [], [], []
        for seed in range(seeds):
            rdir = osp.join(base, f'{row}_seed{seed}')
            if row == 'nas_nws':
                arch = osp.join(found, 'arch.json')
                weights = osp.join(found, 'subnet_model.pth')
                cost = json.load(open(osp.join(found, 'summary.json')))
            else:
                kind = dict(hand='hand', random='random',
                            nas_plain='searched')[row]
                once(osp.join(rdir, 'net.done'), f'{key}/{row}: network',
                     [PY, 'tools/baseline_subnet.py', spec['config'],
                      adapted, osp.join(rdir, 'net'), '--kind', kind,
                      '--seed', str(seed)] +
                     (['--arch', osp.join(found, 'arch.json')]
                      if kind == 'searched' else []),
                     osp.join(rdir, 'net.log'))
                arch = osp.join(rdir, 'net', 'arch.json')
                weights = osp.join(rdir, 'net', 'subnet_model.pth')
                cost = json.load(open(osp.join(rdir, 'net', 'cost.json')))
            flops.append(cost['flops'])  # random: another arch per seed
            params.append(cost['params'])
            row_opts = ['--cfg-options', f'model.backbone.arch={arch}',
                        f'load_from={weights}', f'randomness.seed={seed}'
                        ] + quick('finetune', key, fast)
            ft = osp.join(rdir, 'finetune')
            finetune_s.append(once(
                osp.join(rdir, 'finetune.done'), f'{key}/{row}: finetune',
                [PY, 'tools/train.py', finetune_cfg, '--work-dir', ft,
                 '--resume'] + row_opts, osp.join(rdir, 'finetune.log')))
            result = osp.join(rdir, 'heldout.json')
            once(osp.join(rdir, 'test.done'), f'{key}/{row}: held-out test',
                 [PY, 'tools/test.py', finetune_cfg, last_checkpoint(ft),
                  '--work-dir', osp.join(rdir, 'test'), '--out-metrics',
                  result] + row_opts, osp.join(rdir, 'test.log'))
            metrics.append(json.load(open(result)).get(spec['metric']))
        search_s = dict(hand=0.0, random=0.0, nas_plain=nas_s,
                        nas_nws=nas_s + nws_s)[row]
        rows.append(dict(name=title, flops=sum(flops) / len(flops),
                         params=sum(params) / len(params),
                         metric=metrics, search_s=[search_s],
                         finetune_s=finetune_s))
    from transnas_mm.hooks.plots import plot_arch
    from transnas_mm.space import load_arch
    plot_arch(osp.join(found, 'arch.png'),
              load_arch(osp.join(found, 'arch.json')))
    nws = json.load(open(osp.join(found, 'weight_sources.json')))
    return dict(metric_key=spec['metric'], rows=rows, nws=nws, figures={
        'search curve': osp.join(found, 'search_curve.png'),
        'Pareto front': osp.join(found, 'pareto.png'),
        'the chosen network (ops and edges)': osp.join(found, 'arch.png'),
        "where each layer's weights came from":
        osp.join(found, 'weight_sources.png'),
    })


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default='work_dirs/demo')
    parser.add_argument('--seeds', type=int, default=1)
    parser.add_argument('--quick', action='store_true',
                        help='tiny budgets (the CI integration test)')
    args = parser.parse_args()
    out = osp.abspath(args.out)
    start = time.time()
    say('1/4 demo data')
    # the demo configs read data/demo/ (relative to the repo root)
    run('data', [PY, 'tools/prepare_demo_data.py', '--out', 'data/demo'],
        osp.join(out, 'data.log'))
    say('2/4 source super-network, trained once')
    src_work = osp.join(out, 'supernet_source')
    once(osp.join(out, 'source.done'), 'source',
         [PY, 'tools/train.py', 'configs/transnas/demo/supernet_source.py',
          '--work-dir', src_work, '--resume'] +
         (['--cfg-options'] + quick('source', '', True) if args.quick
          else []),
         osp.join(out, 'supernet_source.log'))
    source = osp.join(out, 'supernet_source.pth')
    if not osp.isfile(source):
        shutil.copyfile(last_checkpoint(src_work), source + '.tmp')
        os.replace(source + '.tmp', source)
    say('3/4 targets, each from that same source checkpoint')
    targets = {name: target(name, spec, out, source, args.seeds,
                            args.quick)
               for name, spec in TARGETS.items()}
    say('4/4 report')
    from transnas_mm.apis.report import best_row, write_report
    notes = [f'source: {source} (digits 0-4; targets use digits 5-9)',
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
                     f'{s["search_split"]["plain"]:.4f}; held-out before '
                     f'finetune {s["heldout"]["nws"]:.4f} vs '
                     f'{s["heldout"]["plain"]:.4f}')
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
