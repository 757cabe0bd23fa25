"""Write OpenMMLab ``metafile.yml`` model entries from a run's
``results.json``: one entry per target for the chosen row, its held-out
metric the mean over seeds, FLOPs and parameters in the metadata::

    python tools/analysis/results_to_metafile.py work_dirs/demo/results.json \
        --out work_dirs/demo/metafile.yml [--row nas_nws]

Paste the entries under ``Models:`` of ``configs/transnas/metafile.yml``
(the collection's other entries are written by hand)."""
import argparse
import os.path as osp
import statistics
import sys
from typing import Dict, List

import yaml

from transnas_mm.comparison.results import load_results
from transnas_mm.utils.atomic_io import atomic_write_text

# metric key -> (task, metafile metric name, scale to the metafile's unit)
METRICS = {
    'coco/bbox_mAP': ('Object Detection', 'box AP', 100.0),
    'accuracy/top1': ('Image Classification', 'Top 1 Accuracy', 1.0),
}


def metafile_models(doc: dict, row: str) -> List[Dict]:
    """The ``Models`` entries of ``row`` for every target of ``doc``."""
    models = []
    for target in doc['targets']:
        found = next((r for r in target['rows'] if r.get('key') == row),
                     None)
        if found is None:
            raise ValueError(f'--row: {row!r} is not a row of target '
                             f'{target["name"]!r} (its rows: '
                             f'{[r.get("key") for r in target["rows"]]})')
        metric = target['metric_key']
        if metric not in METRICS:
            raise ValueError(f'{target["name"]}: metric_key {metric!r}; '
                             f'expected one of {sorted(METRICS)}')
        task, name, scale = METRICS[metric]
        values = [m for m in found['metric'] if m is not None]
        key = target.get('key') or target['name']
        entry = dict(Name=f'transnas_{key}_{row}', **{
            'In Collection': 'TransNAS'})
        if target.get('config'):
            entry['Config'] = target['config']
        entry['Metadata'] = dict(
            FLOPs=int(round(found['flops'])),
            Parameters=int(round(found['params'])),
            Seeds=len(values))
        entry['Results'] = [dict(Task=task, Dataset=target['name'], Metrics={
            name: round(statistics.mean(values) * scale, 2)
            if values else None})]
        models.append(entry)
    return models


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('results', help='results.json of tools/run_demo.py')
    parser.add_argument('--out', required=True, help='metafile.yml to write')
    parser.add_argument('--row', default='nas_nws',
                        help='row key (default: nas_nws)')
    args = parser.parse_args(argv)
    try:
        models = metafile_models(load_results(args.results), args.row)
    except (OSError, ValueError) as e:
        sys.exit(f'results_to_metafile: {e}')
    atomic_write_text(args.out, yaml.safe_dump(dict(Models=models),
                                               sort_keys=False))
    print(f'{args.out}: {len(models)} entries from '
          f'{osp.abspath(args.results)}')


if __name__ == '__main__':
    main()
