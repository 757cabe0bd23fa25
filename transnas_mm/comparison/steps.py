"""Steps of the comparison: each one a command a user could run by hand
(``tools/train.py``, ``tools/test.py``, ``tools/baseline_subnet.py``), in
its own process, its output in a log, skipped when done, resumed when
interrupted."""
import json
import os
import os.path as osp
import subprocess
import sys
import time
from typing import List

from ..utils.atomic_io import read_json


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


class Steps:
    """Runs steps from the repository ``root``. ``warm``: each step runs in
    a child forked from this process, whose OpenMMLab imports are done
    once (POSIX; see :mod:`transnas_mm.utils.warm_steps`)."""

    def __init__(self, root: str, warm: bool = hasattr(os, 'fork')):
        self.root = root
        self.warm = warm
        self.python = sys.executable

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
        if self.warm and cmd[0] == self.python:
            from ..utils.warm_steps import run_script
            code = run_script(cmd[1:], log, root)
        else:
            with open(log, 'w') as f:
                code = subprocess.run(cmd, cwd=root, stdout=f,
                                      stderr=subprocess.STDOUT).returncode
        if code != 0:
            tail = open(log).read()[-3000:]
            raise SystemExit(f'{tail}\n[demo] {name} FAILED (exit '
                             f'{code}); log: {log}')
        return time.time() - t0

    def once(self, done: str, name: str, cmd: List[str], log: str) -> float:
        """``run`` unless ``done`` exists; records the wall time in it."""
        if osp.isfile(done):
            say(f'{name}: done already')
            return read_json(done)['seconds']
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
        from ..utils.warm_steps import run_forked
        if run_forked(job, log, self.root) != 0:
            raise SystemExit(f'[demo] {log} FAILED; see that log')
