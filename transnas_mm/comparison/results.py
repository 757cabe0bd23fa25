"""``results.json``: every number a comparison report shows, for programs
(experiment trackers, ``metafile.yml``, plots). One record per target x row
x seed (held-out metric, FLOPs, params, target compute and its parts, arch
file) plus each target's rows and verdict; the report is rendered from
it, so the two cannot disagree."""
import os.path as osp
from typing import Dict, List

from ..utils.atomic_io import atomic_write_json, read_json
from .report import (headline, one_finetune_seconds, render_report, verdict,
                     verdict_checks)

SCHEMA = 'transnas_mm.results/1'
RESULTS_FILE = 'results.json'
# per-seed lists of a row, and the record field each becomes
PER_SEED = (('metric', 'metric'), ('adapt_s', 'adapt_s'),
            ('search_s', 'search_s'), ('source_s', 'source_s'),
            ('finetune_s', 'finetune_s'),
            ('target_s', 'target_s'), ('flops_seeds', 'flops'),
            ('params_seeds', 'params'), ('arch', 'arch'))


def _records(name: str, rows: List[dict]) -> List[dict]:
    one = one_finetune_seconds(rows)
    out = []
    for row in rows:
        for seed in range(len(row['metric'])):
            rec = dict(target=name, row=row.get('key'), row_name=row['name'],
                       seed=seed, flops=row['flops'], params=row['params'],
                       latency_ms=row.get('latency_ms'))
            for key, field in PER_SEED:
                if key in row and seed < len(row[key]):
                    rec[field] = row[key][seed]
            spent = rec.get('target_s', rec.get('finetune_s'))
            rec['compute_x_finetune'] = spent / one if one and \
                spent is not None else None
            unit = row.get('source_train_s')
            rec['compute_x_source_training'] = spent / unit if unit and \
                spent is not None else None
            out.append(rec)
    return out


def build_results(out_dir: str, targets: Dict[str, dict], seeds: int,
                  notes: List[str]) -> dict:
    """The results document of ``targets`` (``{name: dict(metric_key,
    rows, figures={title: png})}``, as ``run_target`` returns them)."""
    doc = dict(schema=SCHEMA, seeds=seeds, notes=list(notes), targets=[],
               records=[])
    for name, t in targets.items():
        rows = [dict(r) for r in t['rows']]
        checks = verdict_checks(rows)
        doc['targets'].append(dict(
            name=name, metric_key=t['metric_key'], rows=rows,
            **{k: t[k] for k in ('key', 'config') if k in t},
            headline=headline(name, rows), verdict=verdict(rows),
            checks=None if checks is None else
            [dict(check=c, holds=ok) for c, ok in checks],
            figures={title: osp.relpath(png, out_dir)
                     for title, png in t.get('figures', {}).items()
                     if osp.isfile(png)}))
        doc['records'] += _records(name, rows)
    return doc


def write_results(out_dir: str, doc: dict) -> str:
    path = osp.join(out_dir, RESULTS_FILE)
    atomic_write_json(path, doc)
    return path


def load_results(path: str) -> dict:
    """A results document; another schema is refused in one line."""
    doc = read_json(path)
    if not isinstance(doc, dict) or doc.get('schema') != SCHEMA:
        got = doc.get('schema') if isinstance(doc, dict) else None
        raise ValueError(f'{path}: schema: {got!r}; expected {SCHEMA!r} '
                         f'(a results.json written by tools/run_demo.py)')
    return doc


def write_report(out_dir: str, targets: Dict[str, dict], seeds: int,
                 notes: List[str]) -> Dict[str, str]:
    """``results.json`` (every number, machine-readable), then
    ``report.md`` / ``report.html`` rendered from it; their paths."""
    path = write_results(out_dir, build_results(out_dir, targets, seeds,
                                                notes))
    return dict(render_report(out_dir, load_results(path)), json=path)
