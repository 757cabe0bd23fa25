"""Weight-search cost / arch-search cost, measured side by side in one run
of the demo search config (both hooks in the same runner) [goal <= 0.25].

    python benchmarks/search_cost_ratio.py [--config ...] [--adapt-epochs N]
        [--checkpoint ADAPTED.pth] [--racing WeightSearchHook ...]

Cost = the summed wall time of the candidates each hook evaluated (their
calibration + evaluation dominate, see search_throughput.py); the numbers
of candidates are printed beside it.
"""
import argparse
import json
import os.path as osp
import tempfile

from mmengine.config import Config
from mmengine.runner import Runner

import transnas_mm  # noqa: F401
from transnas_mm.datasets import prepare_demo_data
from transnas_mm.utils import find_hook

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def _seconds(path: str):
    rows = [json.loads(line) for line in open(path)]
    return sum(r['seconds'] for r in rows), len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config',
                        default='configs/transnas/demo/cub_search.py')
    parser.add_argument('--source', default='',
                        help='source checkpoint (default: none, random init)')
    parser.add_argument('--checkpoint', default='',
                        help='an adapted whole-model checkpoint of the '
                        'target (load_from; e.g. the demo search run\'s)')
    parser.add_argument('--adapt-epochs', type=int, default=0)
    parser.add_argument('--racing', nargs='*', default=[],
                        choices=['ArchSearchHook', 'WeightSearchHook'],
                        help='hooks that race their candidates')
    parser.add_argument('--race-margin', type=float, default=0.0)
    args = parser.parse_args()
    prepare_demo_data(osp.join(ROOT, 'data', 'demo'))
    cfg = Config.fromfile(osp.join(ROOT, args.config))
    if args.source:
        cfg.model.backbone.init_cfg.checkpoint = args.source
    else:
        cfg.model.backbone.init_cfg = None
    if args.checkpoint:
        cfg.model.backbone.init_cfg = None
        cfg.load_from, cfg.resume = args.checkpoint, False
    cfg.train_cfg.max_epochs = args.adapt_epochs
    if not args.adapt_epochs:
        cfg.param_scheduler = None
    for name in args.racing:
        find_hook(cfg, name).update(racing=dict(margin=args.race_margin))
    cfg.work_dir = tempfile.mkdtemp()
    cfg.log_level = 'WARNING'
    Runner.from_cfg(cfg).train()
    out = osp.join(cfg.work_dir, 'search')
    nas_s, nas_n = _seconds(osp.join(out, 'search_log.jsonl'))
    nws_s, nws_n = _seconds(osp.join(out, 'nws_log.jsonl'))
    print(f'arch search   : {nas_n} candidates, {nas_s:.1f} s')
    print(f'weight search : {nws_n} candidates, {nws_s:.1f} s')
    print(f'weight/arch cost ratio = {nws_s / nas_s:.3f} (goal <= 0.25); '
          f'racing: {args.racing or "off"}')
    ws = json.load(open(osp.join(out, 'weight_sources.json')))
    summary = json.load(open(osp.join(out, 'summary.json')))
    print(json.dumps(dict(arch_candidates=nas_n, arch_seconds=nas_s,
                          weight_candidates=nws_n, weight_seconds=nws_s,
                          ratio=nws_s / nas_s, racing=args.racing,
                          arch=summary['best_score'],
                          nws=ws['search_split']['nws'],
                          plain=ws['search_split']['plain'],
                          kept_plain=ws['kept_plain'])))


if __name__ == '__main__':
    main()
