"""`run_demo.py --targets lite0` end to end with tiny budgets: the
real-weights route (its own file: a test worker of its own beside the demo
pipeline's)."""
import json
import os.path as osp
import subprocess
import sys

from conftest import ROOT

SCRATCH = 'scratch (hand arch, random init)'


def test_lite0_target_quick(tmp_path):
    """`run_demo.py --targets lite0`: the real-weights route with tiny
    budgets, no demo source trained: EfficientNet-Lite0 converted from its
    package, the seven rows, the finetune row and the static row the same
    network (the ImageNet Lite0, fresh head), so one finetune serves both."""
    out = str(tmp_path / 'lite0')
    proc = subprocess.run([sys.executable, 'tools/run_demo.py', '--quick',
                           '--out', out, '--targets', 'lite0'], cwd=ROOT,
                          capture_output=True, text=True, timeout=1500)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert not osp.exists(osp.join(out, 'supernet_source'))
    assert osp.isfile(osp.join(out, 'source_efficientnet_lite0.pth'))
    md = open(osp.join(out, 'report.md')).read()
    assert 'EfficientNet-Lite0' in md
    lines = [ln for ln in md.split('\n## ')[2].splitlines()
             if ln.startswith('| ')]
    assert [c.strip() for c in lines[1].strip('|').split('|')][0] == SCRATCH
    assert len(lines) == 1 + 7  # header + the seven rows
    shared = json.load(open(osp.join(out, 'lite0', 'static_seed0',
                                     'shared.json')))
    assert shared['twin'].endswith('finetune_seed0')
    arch = json.load(open(osp.join(out, 'lite0', 'search', 'search',
                                   'arch.json')))
    assert arch['space']['same_padding'] and arch['space']['bn_eps'] == 1e-3
