"""Steps of the comparison: each one a command a user could run by hand
(``tools/train.py``, ``tools/test.py``, ``tools/baseline_subnet.py``), in
its own process, its output in a log, skipped when done, resumed when
interrupted."""
import json
import os
import os.path as osp
import re
import subprocess
import sys
import time
from typing import List, Optional

from ..utils.atomic_io import atomic_write_json, read_json


def say(msg: str) -> None:
    print(f'[demo] {time.strftime("%H:%M:%S")} {msg}', flush=True)


def last_checkpoint(work: str) -> str:
    with open(osp.join(work, 'last_checkpoint')) as f:
        return f.read().strip()


def recorded_seconds(folder: str) -> float:
    """The wall seconds every step under ``folder`` recorded in its
    ``.done`` file when it ran (a resumed step: its last run): what the
    folder's results cost, whichever invocations ran them."""
    total = 0.0
    for root, _, files in os.walk(folder):
        for name in files:
            if name.endswith('.done'):
                total += float(read_json(osp.join(root, name)).get(
                    'seconds', 0.0))
    return total


STEP_HISTORY = '.step_seconds.json'


class StepHistory:
    """The seconds each step (and the whole run) took the last time it ran
    with the same budgets, in any output folder: the ETA of a step whose
    log has none from MMEngine (a search, an evaluation) and of the whole
    run. ``path``: a JSON file kept beside the output folders; ``profile``:
    what makes durations comparable (the budget mode)."""

    def __init__(self, path: str, profile: str):
        self.path, self.profile = path, profile
        try:
            self.seconds = read_json(path) if osp.isfile(path) else {}
        except ValueError:  # a damaged history only costs the estimates
            self.seconds = {}

    def expected(self, name: str) -> Optional[float]:
        return self.seconds.get(f'{self.profile}: {name}')

    def record(self, name: str, seconds: float) -> None:
        self.seconds[f'{self.profile}: {name}'] = round(seconds, 1)
        atomic_write_json(self.path, self.seconds)


class Progress:
    """A line every ``every`` seconds while a step runs: its elapsed time,
    the ETA MMEngine last wrote to the step's log (else the time left by
    the previous run of that step), and the whole run's elapsed time and,
    from the previous run, what is left (a long step shows it is alive and
    how long is left)."""

    ETA = re.compile(r'eta: (\S+)')

    def __init__(self, name: str, log: str, every: float,
                 run_start: float, expected: Optional[float] = None,
                 run_expected: Optional[float] = None, skipped: float = 0.0):
        self.name, self.log, self.every = name, log, every
        self.run_start = run_start
        self.expected, self.run_expected = expected, run_expected
        self.skipped = skipped  # seconds of steps found done
        self.start = self.last = time.time()

    def step_eta(self) -> str:
        """The last 'eta: H:MM:SS' of the log ('' if none yet)."""
        try:
            with open(self.log, 'rb') as f:
                f.seek(max(0, osp.getsize(self.log) - 20000))
                tail = f.read().decode(errors='replace')
        except OSError:
            return ''
        found = self.ETA.findall(tail)
        return found[-1] if found else ''

    def __call__(self) -> None:
        now = time.time()
        if now - self.last < self.every:
            return
        self.last = now
        eta, spent = self.step_eta(), now - self.start
        if eta:
            eta = f', MMEngine ETA {eta}'
        elif self.expected:
            eta = (f', ~{_clock(max(0.0, self.expected - spent))} left '
                   f'(previous run: {_clock(self.expected)})')
        whole = now - self.run_start
        left = self.run_expected - whole - self.skipped \
            if self.run_expected else 0.0
        left = f', ~{_clock(left)} left' if left > 0 else ''
        say(f'  {self.name}: {_clock(spent)} elapsed{eta} (whole run: '
            f'{_clock(whole)}{left})')


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f'{minutes}m{secs:02d}s'


class Steps:
    """Runs steps from the repository ``root``. ``warm``: each step runs in
    a child forked from this process, whose OpenMMLab imports are done
    once (POSIX; see :mod:`transnas_mm.comparison.warm_steps`).
    ``progress_every``: seconds between progress lines while a step runs
    (default: 30 on a terminal, none otherwise, so CI logs stay short)."""

    def __init__(self, root: str, warm: bool = hasattr(os, 'fork'),
                 progress_every: Optional[float] = None,
                 history: Optional[StepHistory] = None, run: str = ''):
        self.root = root
        self.run_name = f'(whole run{": " + run if run else ""})'
        self.skipped_s = 0.0
        self.warm = warm
        self.python = sys.executable
        if progress_every is None and sys.stdout.isatty():
            progress_every = 30.0
        self.progress_every = progress_every
        self.history = history
        self.start = time.time()

    def _progress(self, name: str, log: str) -> Optional[Progress]:
        if not self.progress_every:
            return None
        known = self.history.expected if self.history else lambda _: None
        return Progress(name, log, self.progress_every, self.start,
                        known(name), known(self.run_name), self.skipped_s)

    def finished(self) -> None:
        """Record what the whole run cost, steps found done included (its
        ETA next time)."""
        if self.history is not None:
            self.history.record(self.run_name, time.time() - self.start +
                                self.skipped_s)

    def script(self, *args: str) -> List[str]:
        """``python tools/<script> args``."""
        return [self.python, *args]

    def run(self, name: str, cmd: List[str], log: str) -> float:
        """Run one step; stop the comparison on failure with the log's
        tail. Returns its wall seconds."""
        root = self.root
        say(f'{name}: ' + ' '.join(
            osp.relpath(c, root) if c.startswith(root) else c
            for c in cmd[1:]))
        t0 = time.time()
        os.makedirs(osp.dirname(log), exist_ok=True)
        progress = self._progress(name, log)
        if self.warm and cmd[0] == self.python:
            from .warm_steps import run_script
            code = run_script(cmd[1:], log, root, progress)
        else:
            with open(log, 'w') as f:
                proc = subprocess.Popen(cmd, cwd=root, stdout=f,
                                        stderr=subprocess.STDOUT)
                while proc.poll() is None:
                    if progress is not None:
                        progress()
                    try:
                        proc.wait(timeout=1.0)
                    except subprocess.TimeoutExpired:
                        pass
                code = proc.returncode
        if code != 0:
            tail = open(log).read()[-3000:]
            raise SystemExit(f'{tail}\n[demo] {name} FAILED (exit '
                             f'{code}); log: {log}')
        seconds = time.time() - t0
        if self.history is not None:
            self.history.record(name, seconds)
        return seconds

    def once(self, done: str, name: str, cmd: List[str], log: str) -> float:
        """``run`` unless ``done`` exists; records the wall time in it."""
        if osp.isfile(done):
            say(f'{name}: done already')
            seconds = read_json(done)['seconds']
            self.skipped_s += seconds
            return seconds
        seconds = self.run(name, cmd, log)
        with open(done + '.tmp', 'w') as f:
            json.dump(dict(seconds=seconds), f)
        os.replace(done + '.tmp', done)
        return seconds

    def forked(self, job, log: str) -> None:
        """``job()`` (torch work) off this process when it is the warm
        parent (a forked parent must not run torch ops itself)."""
        if not self.warm:
            job()
            return
        from .warm_steps import run_forked
        if run_forked(job, log, self.root) != 0:
            raise SystemExit(f'[demo] {log} FAILED; see that log')
