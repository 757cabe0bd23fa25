"""Steps forked from a warm interpreter behave like ``python SCRIPT``: own
log, own exit code, own argv and working directory, parent untouched."""
import os
import sys

import pytest

from transnas_mm.comparison.steps import Steps
from transnas_mm.comparison.warm_steps import run_forked, run_script

SCRIPT = '''import os, sys
print('argv', sys.argv[1:], 'cwd', os.getcwd())
print('to stderr', file=sys.stderr)
what = sys.argv[1]
if what == 'code':
    sys.exit(3)
if what == 'message':
    sys.exit('bad input: field x')
if what == 'raise':
    raise ValueError('boom')
if __name__ == '__main__':
    print('main ran')
'''


def test_forked_script_log_code_and_argv(tmp_path):
    (tmp_path / 'step.py').write_text(SCRIPT)
    argv_before, cwd_before = list(sys.argv), os.getcwd()
    expected = dict(ok=0, code=3, message=1, raise_=1)
    for what, code in expected.items():
        what = what.rstrip('_')
        log = str(tmp_path / f'{what}.log')
        assert run_script(['step.py', what], log, str(tmp_path)) == code
        text = open(log).read()
        assert f"argv ['{what}'] cwd {tmp_path}" in text
        assert 'to stderr' in text
        assert ('main ran' in text) == (what == 'ok')
    assert 'bad input: field x' in open(tmp_path / 'message.log').read()
    assert 'ValueError: boom' in open(tmp_path / 'raise.log').read()
    assert sys.argv == argv_before and os.getcwd() == cwd_before


def test_forked_job_changes_nothing_in_the_parent(tmp_path):
    box = []
    assert run_forked(lambda: box.append(1), str(tmp_path / 'j.log'),
                      str(tmp_path)) == 0
    assert box == []  # the child's memory is its own


@pytest.mark.parametrize('warm', [False, True])
def test_a_step_logs_alike_in_a_fresh_or_a_forked_process(tmp_path, warm):
    """--fresh-processes (and the platforms without fork) run each step as
    ``python SCRIPT``; both ways write the same log and stop the
    comparison on a failing step with the log's tail."""
    (tmp_path / 'step.py').write_text(SCRIPT)
    steps = Steps(str(tmp_path), warm=warm)
    log = str(tmp_path / 'logs' / 'ok.log')
    assert steps.run('ok', steps.script('step.py', 'ok'), log) >= 0
    assert f"argv ['ok'] cwd {tmp_path}" in open(log).read()
    with pytest.raises(SystemExit) as e:
        steps.run('bad', steps.script('step.py', 'message'),
                  str(tmp_path / 'logs' / 'bad.log'))
    assert 'bad input: field x' in str(e.value)
    assert 'bad FAILED (exit 1)' in str(e.value)


@pytest.mark.parametrize('warm', [False, True])
def test_a_long_step_shows_progress(tmp_path, capsys, warm):
    """While a step runs, a line every ``progress_every`` seconds: its
    elapsed time and the ETA MMEngine last logged; none when off (the
    default off a terminal: CI logs stay short)."""
    (tmp_path / 'slow.py').write_text(
        'import time\n'
        'for eta in ("0:00:09", "0:00:04"):\n'
        '    print(f"Epoch(train) [1][1/2]  eta: {eta}  loss: 1.0",'
        ' flush=True)\n'
        '    time.sleep(1.6)\n')
    steps = Steps(str(tmp_path), warm=warm, progress_every=0.5)
    steps.run('slow', steps.script('slow.py'), str(tmp_path / 'slow.log'))
    lines = [ln for ln in capsys.readouterr().out.splitlines()
             if 'elapsed' in ln]
    assert len(lines) >= 2, lines
    assert all('slow:' in ln and 'whole run:' in ln for ln in lines)
    assert any('MMEngine ETA 0:00:0' in ln for ln in lines), lines
    quiet = Steps(str(tmp_path), warm=warm, progress_every=0)
    quiet.run('slow', quiet.script('slow.py'), str(tmp_path / 'q.log'))
    assert 'elapsed' not in capsys.readouterr().out


def test_progress_eta_from_the_previous_run(tmp_path, capsys):
    """A step whose log has no MMEngine ETA (a search): the time left by
    the previous run of that step, and the whole run's remainder; both
    recorded again for the next run."""
    import json
    import re

    from transnas_mm.comparison.steps import StepHistory
    (tmp_path / 'quiet.py').write_text('import time\ntime.sleep(1.6)\n')
    path = tmp_path / 'history.json'
    path.write_text(json.dumps({'quick: search': 30.0,
                                'quick: (whole run: coco)': 100.0}))
    steps = Steps(str(tmp_path), warm=False, progress_every=0.5,
                  history=StepHistory(str(path), 'quick'), run='coco')
    steps.run('search', steps.script('quiet.py'), str(tmp_path / 'q.log'))
    lines = [ln for ln in capsys.readouterr().out.splitlines()
             if 'elapsed' in ln]
    assert lines, lines
    for line in lines:
        assert re.search(r'search: 0m0\ds elapsed, ~0m2\ds left \(previous '
                         r'run: 0m30s\) \(whole run: 0m0\ds, ~1m3\ds left\)',
                         line), line
    steps.finished()
    saved = json.loads(path.read_text())
    assert 1.5 < saved['quick: search'] < 10
    assert 1.5 < saved['quick: (whole run: coco)'] < 10
