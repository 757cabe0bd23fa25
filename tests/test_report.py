"""The report reads well: outcome first, the best row marked, the usual
file mode, embedded figures, and (where Chromium is installed) a real
headless-browser rendering."""
import os
import os.path as osp
import stat
import subprocess
import sys

import matplotlib
import numpy as np
import pytest

from conftest import ROOT
from transnas_mm.comparison.report import headline
from transnas_mm.comparison.results import write_report
from transnas_mm.utils.atomic_io import atomic_write_text

matplotlib.use('Agg')
sys.path.insert(0, osp.join(ROOT, 'tools'))
from report_screenshot import find_browser  # noqa: E402


def _row(key, name, metric, flops=5e6):
    return dict(key=key, name=name, flops=flops, params=2e5, metric=metric,
                search_s=[1.0], finetune_s=[2.0], target_s=[3.0])


ROWS = [_row('scratch', 'scratch', [0.50, 0.52]),
        _row('finetune', 'finetune', [0.70, 0.72]),
        _row('hand', 'hand', [0.71, 0.71]),
        _row('random', 'random', [0.69, 0.70]),
        _row('nas_plain', 'NAS + plain', [0.74, 0.76], 4e6),
        _row('nas_nws', 'NAS + NWS', [0.75, 0.77], 4e6)]


@pytest.fixture
def report(tmp_path):
    import matplotlib.pyplot as plt
    png = str(tmp_path / 'curve.png')
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    fig.savefig(png)
    plt.close(fig)
    old = os.umask(0o022)
    try:
        paths = write_report(str(tmp_path), {'cub': dict(
            metric_key='accuracy/top1', rows=ROWS,
            figures={'curve': png})}, 2, ['a note'])
    finally:
        os.umask(old)
    return paths


def test_compute_column_is_over_one_plain_finetune():
    from transnas_mm.comparison.report import table_rows
    rows = [dict(r) for r in ROWS]
    rows[1]['finetune_s'] = [4.0]  # the finetune row: one plain finetune
    rows[5]['target_s'] = [10.0, 14.0]
    cells = table_rows(rows)
    assert cells[5][8] == '3.0x' and cells[0][8] == '0.8x'
    # ... and over one source training, where the source was trained here
    assert cells[5][9] == 'n/a'
    for row in rows:
        row['source_train_s'] = 48.0
    cells = table_rows(rows)
    assert cells[5][9] == '0.25x' and cells[0][9] == '0.06x'


def test_outcome_first_and_best_row_marked(report):
    assert headline('cub', ROWS) == ('cub: best row NAS + NWS (0.7600), '
                                     '+0.0100 over NAS + plain, +0.0500 '
                                     'over classic finetune')
    # the finetune row the runner-up: named once
    runner_up = [dict(r) for r in ROWS if r['key'] != 'nas_plain']
    runner_up[1]['metric'] = [0.74, 0.74]
    assert headline('cub', runner_up) == (
        'cub: best row NAS + NWS (0.7600), +0.0200 over finetune')
    md = open(report['md']).read()
    assert md.index('## Outcome') < md.index('## cub')
    assert '**cub: best row NAS + NWS' in md
    page = open(report['html']).read()
    assert page.index('best row NAS + NWS') < page.index('<table>')
    assert page.count('<tr class="best"><td>NAS + NWS</td>') == 1
    assert 'font-family' in page and 'border=1' not in page
    assert page.count('data:image/png;base64,') == 1


def test_atomic_files_keep_the_usual_mode(report, tmp_path):
    for path in report.values():
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o644, path
    old = os.umask(0o027)
    try:
        atomic_write_text(str(tmp_path / 'x.txt'), 'x')
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / 'x.txt').st_mode) == 0o640


@pytest.mark.skipif(not find_browser(), reason='no Chromium installed '
                    '(.ci/run installs Debian\'s chromium when it can)')
def test_report_renders_in_headless_chromium(report, tmp_path):
    out = str(tmp_path / 'page.png')
    subprocess.run([sys.executable, osp.join(ROOT, 'tools',
                                             'report_screenshot.py'),
                    report['html'], out, '--height', '900'], check=True,
                   timeout=180)
    from PIL import Image
    img = Image.open(out).convert('L')
    assert img.size == (1366, 900)
    # something was drawn: text and the table, not a blank page
    lo, hi = img.getextrema()
    assert hi - lo > 100
    dark = int((np.asarray(img) < 128).sum())
    assert dark > 1000


def test_results_json_holds_every_number_and_renders_the_report(
        report, tmp_path):
    """results.json: one record per target x row x seed, the verdict as
    data; the report rendered again from it is the same file."""
    import json

    from transnas_mm.comparison.report import render_report
    from transnas_mm.comparison.results import SCHEMA, load_results
    doc = load_results(report['json'])
    assert doc['schema'] == SCHEMA
    recs = doc['records']
    assert len(recs) == len(ROWS) * 2
    nws1 = next(r for r in recs if r['row'] == 'nas_nws' and r['seed'] == 1)
    assert nws1['metric'] == 0.77 and nws1['flops'] == 4e6
    nws0 = next(r for r in recs if r['row'] == 'nas_nws' and r['seed'] == 0)
    assert nws0['target_s'] == 3.0 and nws0['compute_x_finetune'] == 1.5
    target = doc['targets'][0]
    assert target['verdict'].startswith('verdict: 5/5')
    assert [c['holds'] for c in target['checks']] == [True] * 5
    assert target['figures'] == {'curve': 'curve.png'}
    md, page = open(report['md']).read(), open(report['html']).read()
    again = tmp_path / 'again'
    again.mkdir()
    (again / 'curve.png').write_bytes((tmp_path / 'curve.png').read_bytes())
    paths = render_report(str(again), doc)
    assert open(paths['md']).read() == md
    assert open(paths['html']).read() == page
    # every number of the table is in the records
    for r in ROWS:
        for seed, m in enumerate(r['metric']):
            assert any(x['row'] == r['key'] and x['seed'] == seed and
                       x['metric'] == m for x in recs)
    bad = tmp_path / 'old.json'
    bad.write_text(json.dumps(dict(doc, schema='other/0')))
    with pytest.raises(ValueError, match=r"schema: 'other/0'; expected"):
        load_results(str(bad))


def test_metafile_entries_regenerated_from_results(report, tmp_path):
    """tools/analysis/results_to_metafile.py: the chosen row's mean metric
    per target as a model-index entry mim can read."""
    import runpy

    import yaml
    tool = runpy.run_path(osp.join(ROOT, 'tools', 'analysis',
                                   'results_to_metafile.py'))
    out = tmp_path / 'metafile.yml'
    tool['main']([report['json'], '--out', str(out)])  # in-process: fast
    (entry, ) = yaml.safe_load(out.read_text())['Models']
    assert entry['Name'] == 'transnas_cub_nas_nws'
    assert entry['In Collection'] == 'TransNAS'
    assert entry['Metadata']['FLOPs'] == 4000000
    assert entry['Results'][0]['Task'] == 'Image Classification'
    assert entry['Results'][0]['Metrics']['Top 1 Accuracy'] == 0.76
    with pytest.raises(SystemExit) as err:
        tool['main']([report['json'], '--out', str(tmp_path / 'x.yml'),
                      '--row', 'nope'])
    assert "'nope' is not a row" in str(err.value)
    assert '\n' not in str(err.value)
    assert not osp.exists(tmp_path / 'x.yml')


def test_verdict_compares_with_the_detnas_style_row():
    """With the DetNAS-style row the verdict adds its two comparisons:
    held-out at least as good, and under 0.75x its target compute."""
    from transnas_mm.comparison.report import verdict, verdict_checks
    rows = [dict(r) for r in ROWS] + [
        _row('nas_retrain', 'NAS arch retrained on the source', [0.74, 0.74],
             4e6)]
    rows[-1]['target_s'] = [5.0, 5.0]  # NAS + NWS: 3 s
    checks = dict(verdict_checks(rows))
    assert checks['NAS+NWS >= DetNAS-style (0.7600 vs 0.7400)'] is True
    assert checks['NAS+NWS compute < 0.75x DetNAS-style (3 s vs 5 s: '
                  '0.60x)'] is True
    rows[-1]['target_s'] = [3.5, 3.5]  # 0.86x: not cheap enough
    rows[-1]['metric'] = [0.80, 0.80]
    line = verdict(rows)
    assert line.startswith('verdict: 5/7')
    assert 'Fail: NAS+NWS >= DetNAS-style (0.7600 vs 0.8000); NAS+NWS ' \
        'compute < 0.75x DetNAS-style (3 s vs 4 s: 0.86x)' in line
