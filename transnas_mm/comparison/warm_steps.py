"""Run ``python SCRIPT ARGS`` steps in children forked from one interpreter
that imported the OpenMMLab stack once: each step is still its own process
(own log, own exit code, nothing shared afterwards), without the ~6 s of
imports a fresh ``python`` pays per step. For drivers that chain many short
steps (``tools/run_demo.py``); POSIX only, and the parent must not run
torch ops itself (a forked child would inherit its thread pools)."""
import importlib
import os
import os.path as osp
import runpy
import sys
import time
import traceback
from typing import Callable, List, Optional


def preload() -> None:
    """Import what the steps' tools import: transnas_mm and every module
    of mmdet and mmpretrain their registries load on first build."""
    import transnas_mm  # noqa: F401
    for scope in ('mmdet', 'mmpretrain'):
        importlib.import_module(f'{scope}.utils').register_all_modules(
            init_default_scope=False)


def run_forked(job: Callable[[], None], log: str, cwd: str,
               while_running: Optional[Callable[[], None]] = None) -> int:
    """``job()`` in a forked child with stdout/stderr in ``log``; returns
    its exit code (0, a ``sys.exit`` code, or 1 for an exception, whose
    traceback goes to the log). ``while_running`` is called about once a
    second while the child runs (no thread: a fork must see none)."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 1
        try:
            fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            os.close(fd)
            # whatever the parent's sys.stdout was (a pytest capture...)
            sys.stdout = open(1, 'w', buffering=1, closefd=False)
            sys.stderr = open(2, 'w', buffering=1, closefd=False)
            os.chdir(cwd)
            job()
            code = 0
        except SystemExit as e:
            if isinstance(e.code, int) or e.code is None:
                code = e.code or 0
            else:  # sys.exit('message'): printed, exit 1, as python does
                print(e.code, file=sys.stderr)
        except BaseException:  # noqa: BLE001  reported in the log
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    while True:
        done, status = os.waitpid(pid, 0 if while_running is None
                                  else os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        while_running()
        time.sleep(1.0)


def run_script(argv: List[str], log: str, cwd: str,
               while_running: Optional[Callable[[], None]] = None) -> int:
    """``python argv[0] argv[1:]`` as a forked child (see module doc)."""
    script = osp.join(cwd, argv[0])

    def job() -> None:
        sys.argv = list(argv)
        sys.path[0] = osp.dirname(osp.abspath(script))
        runpy.run_path(script, run_name='__main__')

    return run_forked(job, log, cwd, while_running)
