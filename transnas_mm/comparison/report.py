"""The demo report: one table per target (rows measured by the run, never
edited), figures embedded, as Markdown and self-contained HTML."""
import base64
import html
import operator
import os.path as osp
import statistics
from typing import Dict, List, Optional, Sequence, Tuple

from ..utils.atomic_io import atomic_write_text
from .rows import ALL_ROWS, CHECKS, OPTIONAL_ROWS, ROW_KEYS, Check

OPS = {'>': operator.gt, '>=': operator.ge, '<': operator.lt,
       '<=': operator.le}
COLUMNS = ('row', 'MFLOPs', 'params (K)', 'latency (ms)',
           'held-out metric', 'search time (s)', 'finetune time (s)',
           'target compute (s)', 'compute / one finetune',
           'compute / one source training')


def _stat(values: Sequence[float], fmt: str) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return 'n/a'
    if len(values) == 1:
        return format(values[0], fmt)
    return (f'{format(statistics.mean(values), fmt)} ± '
            f'{format(statistics.stdev(values), fmt)}')


def one_finetune_seconds(rows: List[dict]) -> Optional[float]:
    """The ``finetune`` row's mean finetune seconds: the unit of the
    compute column (what one plain finetune costs a user)."""
    base = next((r for r in rows if r.get('key') == 'finetune'), None)
    return statistics.mean(base['finetune_s']) if base and \
        base['finetune_s'] else None


def table_rows(rows: List[dict]) -> List[List[str]]:
    """``rows``: dicts with name, flops, params, latency_ms (optional:
    batch 1 on the machine that ran the demo, from a latency table), metric
    (list over seeds), search_s, finetune_s, target_s (lists; target_s =
    adaptation + search + source retraining + finetune seconds of that
    row). The last columns are the row's target compute over one plain
    finetune (the ``finetune`` row's finetune time): what the search costs
    a user; and over one source training (``source_train_s``, the static
    network's; 'n/a' for a pretrained source): what the method saves
    against pipelines that train on the source again per target."""
    one = one_finetune_seconds(rows)
    out = []
    for r in rows:
        spent = r.get('target_s', r['finetune_s'])
        ms = r.get('latency_ms')
        out.append([r['name'], f"{r['flops'] / 1e6:.2f}",
                    f"{r['params'] / 1e3:.1f}",
                    _stat([] if ms is None else [ms], '.2f'),
                    _stat(r['metric'], '.4f'),
                    _stat(r['search_s'], '.0f'),
                    _stat(r['finetune_s'], '.0f'),
                    _stat(spent, '.0f'),
                    f'{statistics.mean(spent) / one:.1f}x' if one and spent
                    else 'n/a',
                    _ratio(spent, r.get('source_train_s'), '.2f')])
    return out


def _ratio(spent: Sequence[float], unit: Optional[float], fmt: str) -> str:
    if not unit or not spent:
        return 'n/a'
    return f'{statistics.mean(spent) / unit:{fmt}}x'


def _mean(row: dict) -> float:
    values = [m for m in row['metric'] if m is not None]
    return statistics.mean(values) if values else float('-inf')


def _check_value(row: dict, on: str) -> float:
    if on == 'flops':
        return row['flops']
    if on == 'compute':
        return statistics.mean(row.get('target_s') or row['finetune_s'])
    return _mean(row)


def _check_line(check: Check, left: float, right: float) -> str:
    names = {r.key: r.short for r in ALL_ROWS}
    what = dict(flops=' MFLOPs', compute=' compute').get(check.on, '')
    factor = f'{check.factor:g}x ' if check.factor != 1.0 else ''
    if check.on == 'flops':
        values = f'{left / 1e6:.2f} vs {right / 1e6:.2f}'
    elif check.on == 'compute':
        values = f'{left:.0f} s vs {right:.0f} s: {left / right:.2f}x'
    else:
        values = f'{left:.4f} vs {right:.4f}'
    return (f'{names[check.left]}{what} {check.op} {factor}'
            f'{names[check.right]} ({values})')


def verdict_checks(rows: List[dict]) -> Optional[List[Tuple[str, bool]]]:
    """(comparison with the values it compares, holds) for each of the
    goal's comparisons (``rows.CHECKS``) whose rows are there; None when
    a row the goal needs is missing."""
    by = {r.get('key'): r for r in rows}
    if not all(k in by for k in ROW_KEYS if k not in OPTIONAL_ROWS):
        return None
    out = []
    for check in CHECKS:
        if check.left not in by or check.right not in by:
            continue
        left = _check_value(by[check.left], check.on)
        right = _check_value(by[check.right], check.on)
        out.append((_check_line(check, left, right),
                    OPS[check.op](left, check.factor * right)))
    return out


def verdict(rows: List[dict]) -> str:
    """One line: which of the goal's comparisons (verdict_checks) hold."""
    checks = verdict_checks(rows)
    if checks is None:
        return 'verdict: n/a (rows missing)'
    held = [c for c, ok in checks if ok]
    failed = [c for c, ok in checks if not ok]
    return (f'verdict: {len(held)}/{len(checks)} goal comparisons hold. '
            f'Hold: {"; ".join(held) or "none"}. '
            f'Fail: {"; ".join(failed) or "none"}.')


def best_row(rows: List[dict]) -> dict:
    return max(rows, key=lambda r: statistics.mean(
        [m for m in r['metric'] if m is not None] or [float('-inf')]))


def headline(name: str, rows: List[dict]) -> str:
    """Which row won on the held-out split and by how much over the next
    best and over the classic finetune baseline."""
    ranked = sorted(rows, key=_mean, reverse=True)
    if not ranked or _mean(ranked[0]) == float('-inf'):
        return f'{name}: no row has a result'
    best = ranked[0]
    text = f'{name}: best row {best["name"]} ({_mean(best):.4f})'
    if len(ranked) > 1:
        text += (f', {_mean(best) - _mean(ranked[1]):+.4f} over '
                 f'{ranked[1]["name"]}')
    base = next((r for r in rows if r.get('key') == 'finetune'), None)
    if base is not None and base is not best and base is not ranked[1]:
        text += f', {_mean(best) - _mean(base):+.4f} over classic finetune'
    return text


STYLE = """
body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto,
       'Helvetica Neue', Arial, sans-serif; font-size: 15px;
       line-height: 1.45; color: #222; max-width: 1100px; margin: 2em auto;
       padding: 0 1.5em; }
h1 { font-size: 1.6em; margin-bottom: .3em; }
h2 { font-size: 1.25em; margin-top: 1.8em; border-bottom: 1px solid #ddd;
     padding-bottom: .2em; }
h3 { font-size: 1.05em; color: #444; }
table { border-collapse: collapse; margin: .8em 0; font-size: 14px; }
th, td { padding: 6px 12px; border-bottom: 1px solid #e3e3e3; }
th { background: #f4f6f8; text-align: left; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums;
         white-space: nowrap; }
tr:nth-child(even) td { background: #fafbfc; }
tr.best td { background: #eaf5ea; font-weight: 600; }
.summary { background: #f4f8fc; border-left: 4px solid #4c72b0;
           padding: .6em 1em; margin: 1em 0; }
.verdict { color: #333; }
img { max-width: 100%; height: auto; border: 1px solid #eee; }
"""


def _target_section(name: str, t: dict, out_dir: str
                    ) -> Tuple[List[str], List[str]]:
    """One target's table, verdict and figures: (Markdown lines, HTML
    parts)."""
    rows = table_rows(t['rows'])
    best = best_row(t['rows']) if t['rows'] else None
    line = verdict(t['rows'])
    md = [f'## {name} ({t["metric_key"]})', '',
          '| ' + ' | '.join(COLUMNS) + ' |', '|' + '---|' * len(COLUMNS)]
    md += ['| ' + ' | '.join(r) + ' |' for r in rows]
    md += ['', line, '']
    cells = ''.join(
        ('<tr class="best">' if raw is best else '<tr>') + ''.join(
            f'<td class="num">{html.escape(c)}</td>' if i else
            f'<td>{html.escape(c)}</td>' for i, c in enumerate(r)) +
        '</tr>' for raw, r in zip(t['rows'], rows))
    body = [f'<h2>{html.escape(name)} ({html.escape(t["metric_key"])})'
            f'</h2><table><tr>' +
            ''.join(f'<th>{html.escape(c)}</th>' for c in COLUMNS) +
            '</tr>' + cells + '</table>' +
            f'<p class="verdict">{html.escape(line)}</p>']
    for title, png in t['figures'].items():
        if not osp.isfile(png):
            continue
        md += [f'### {title}', '',
               f'![{title}]({osp.relpath(png, out_dir)})', '']
        data = base64.b64encode(open(png, 'rb').read()).decode()
        body.append(f'<h3>{html.escape(title)}</h3><img alt="'
                    f'{html.escape(title)}" '
                    f'src="data:image/png;base64,{data}">')
    return md, body


def render_report(out_dir: str, doc: dict) -> Dict[str, str]:
    """``report.md`` and ``report.html`` from a results document (see
    ``results.build_results``); the outcome (best row per target and the
    verdict) comes first."""
    seeds, notes = doc['seeds'], doc['notes']
    targets = {t['name']: dict(t, figures={
        title: osp.join(out_dir, png) for title, png in t['figures'].items()})
        for t in doc['targets']}
    intro = (f'All numbers below were measured by this run ({seeds} seed'
             f'{"s" if seeds > 1 else ""}; mean ± std over seeds where more '
             'than one). Every row of a target starts from the same source '
             'checkpoint and is finetuned with the same budget; the metric '
             'is on the held-out split, never used by any search.')
    heads = [(headline(n, t['rows']), verdict(t['rows']))
             for n, t in targets.items()]
    md = ['# transnas_mm demo report', '', '## Outcome', '']
    for head, line in heads:
        md += [f'- **{head}**; {line}']
    md += ['', intro, ''] + [f'- {n}' for n in notes] + ['']
    body = ['<h1>transnas_mm demo report</h1><div class="summary">' +
            ''.join(f'<p><b>{html.escape(h)}</b><br><span class="verdict">'
                    f'{html.escape(v)}</span></p>' for h, v in heads) +
            '</div>', f'<p>{html.escape(intro)}</p>',
            '<ul>' + ''.join(f'<li>{html.escape(n)}</li>' for n in notes) +
            '</ul>']
    for name, t in targets.items():
        target_md, target_html = _target_section(name, t, out_dir)
        md += target_md
        body += target_html
    paths = dict(md=osp.join(out_dir, 'report.md'),
                 html=osp.join(out_dir, 'report.html'))
    atomic_write_text(paths['md'], '\n'.join(md) + '\n')
    atomic_write_text(paths['html'], '<!doctype html><html lang="en"><head>'
                      '<meta charset="utf-8"><meta name="viewport" '
                      'content="width=device-width, initial-scale=1">'
                      '<title>transnas_mm demo report</title><style>' +
                      STYLE + '</style></head><body>' + '\n'.join(body) +
                      '</body></html>\n')
    return paths
