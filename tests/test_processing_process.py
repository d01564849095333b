"""``processing`` 0.34-0.52 process API: Process objects everywhere, ``stop()``/``ProcessExit``,
the old ``repr``, ``waitForAnyChild``, logging, finalizers, ``Pool.shutdown()`` and a
collected pool ending its workers.

Each behaviour runs as a real program under spawn, forkserver and fork: a guarded program
under ``python`` and, for the key behaviours, the same program unguarded under ``procrun``.
"""

from __future__ import annotations

import re
import signal
from pathlib import Path

import processing
import pytest
from conftest import assert_ok, err, out, run_procrun, run_python, write

#: A program's body runs under ``python`` guarded (start method from argv) or under
#: ``procrun`` unguarded (start method from procrun's option).
GUARDED = """
import sys
import multiprocessing
{functions}
if __name__ == "__main__":
    multiprocessing.set_start_method(sys.argv[1])
{body}
"""
UNGUARDED = """
{functions}
{body}
"""


def program(tmp_path: Path, functions: str, body: str, guarded: bool) -> Path:
    import textwrap

    functions = textwrap.dedent(functions)
    body = textwrap.dedent(body)
    if guarded:
        source = GUARDED.format(functions=functions, body=textwrap.indent(body, "    "))
        return write(tmp_path / "guarded.py", source)
    return write(tmp_path / "unguarded.py", UNGUARDED.format(functions=functions, body=body))


def run_both(tmp_path: Path, start_method: str, functions: str, body: str) -> list[str]:
    """Stdout of the program run guarded under python, then unguarded under procrun."""
    outputs = []
    for guarded in (True, False):
        script = program(tmp_path, functions, body, guarded)
        result = (
            run_python(script, start_method, cwd=tmp_path)
            if guarded
            else run_procrun(script, start_method=start_method, cwd=tmp_path)
        )
        assert_ok(result)
        outputs.append(out(result))
    return outputs


ACCESSORS = """
import processing

def describe(_=None):
    p = processing.currentProcess()
    p.setName(p.getName() + "!")
    return (p.getName().endswith("!"), p.isAlive(), p.isDaemon(), p.getPid() > 0,
            p.getExitCode(), isinstance(p.getAuthKey(), bytes))
"""


def test_current_process_has_old_accessors_in_main_and_pool_workers(
    tmp_path: Path, start_method: str
) -> None:
    body = """
    print("main", describe())
    pool = processing.Pool(2)
    print("worker", pool.apply(describe))
    print("workers alive", [w.isAlive() for w in pool._pool], pool._pool[0].getPid() > 0)
    pool.close()
    pool.join()
    print("workers after join", [w.isAlive() for w in pool._pool])
    """
    for output in run_both(tmp_path, start_method, ACCESSORS, body):
        assert "main (True, True, False, True, None, True)" in output
        assert "worker (True, True, True, True, None, True)" in output
        assert "workers alive [True, True] True" in output
        assert "workers after join [False, False]" in output


REPR = """
import time, processing

def exit_with(code):
    raise SystemExit(code)
"""


def test_process_repr_shows_state_exit_code_signal_and_daemon(
    tmp_path: Path, start_method: str
) -> None:
    body = """
    p = processing.Process(target=time.sleep, args=(60,))
    print(p)
    p.start()
    print(p)
    p.terminate()
    p.join()
    print(p, p.getExitCode())
    for code in (0, 3):
        q = processing.Process(target=exit_with, args=(code,))
        q.setDaemon(True)
        q.start()
        q.join()
        print(q)
    """
    for output in run_both(tmp_path, start_method, REPR, body):
        assert output.splitlines() == [
            "<Process(Process-1, initial)>",
            "<Process(Process-1, started)>",
            f"<Process(Process-1, stopped[SIGTERM])> {-signal.SIGTERM}",
            "<Process(Process-2, stopped daemon)>",
            "<Process(Process-3, stopped[3] daemon)>",
        ]


STOP = """
import sys, time, processing

def loop(mode, started):
    for _ in range(600):
        try:
            started.set()
            time.sleep(0.1)
        except processing.ProcessExit:
            if mode == "return":
                return
            if mode == "exit1":
                sys.exit(1)
            if mode == "reraise":
                raise
            # "ignore": keep going, then end normally
            started.clear()
            for _ in range(3):
                time.sleep(0.05)
            return
"""


def test_stop_raises_process_exit_in_the_child(tmp_path: Path, start_method: str) -> None:
    body = """
    print(issubclass(processing.ProcessExit, SystemExit))
    for mode in ("return", "exit1", "reraise", "ignore"):
        started = processing.Event()
        p = processing.Process(target=loop, args=(mode, started))
        p.start()
        started.wait(30)
        p.stop()
        p.join(30)
        print(mode, p)
    q = processing.Process(target=time.sleep, args=(60,))
    q.setStoppable(False)
    q.start()
    try:
        q.stop()
    except ValueError as error:
        print("refused:", "setStoppable(False)" in str(error))
    q.terminate()
    q.join()
    """
    for output in run_both(tmp_path, start_method, STOP, body):
        assert output.splitlines() == [
            "True",
            "return <Process(Process-1, stopped)>",
            "exit1 <Process(Process-2, stopped[1])>",
            "reraise <Process(Process-3, stopped[ProcessExit])>",
            "ignore <Process(Process-4, stopped)>",
            "refused: True",
        ]


WAIT = """
import os, time, processing

def exit_with(code, delay):
    time.sleep(delay)
    os._exit(code)
"""


def test_wait_for_any_child_gives_pid_exit_code_and_process(
    tmp_path: Path, start_method: str
) -> None:
    body = """
    slow = processing.Process(target=exit_with, args=(0, 60))
    fast = processing.Process(target=exit_with, args=(3, 0))
    slow.start()
    fast.start()
    pid, code, child = processing.waitForAnyChild()
    print(pid == fast.getPid(), code, child is fast)
    print(processing.waitForAnyChild(block=False))
    slow.terminate()
    print(processing.waitForAnyChild()[1:] == (-15, slow))
    try:
        processing.waitForAnyChild()
    except ChildProcessError:
        print("no children")
    """
    for output in run_both(tmp_path, start_method, WAIT, body):
        assert output.splitlines() == ["True 3 True", "None", "True", "no children"]


LOGGING = """
import logging, processing

def hello():
    processing.getLogger().warning("hello from %s", processing.currentProcess().getName())
"""


def test_enable_logging_reaches_children_and_the_manager_server(
    tmp_path: Path, start_method: str
) -> None:
    body = """
    print(processing.getLogger())
    processing.enableLogging(level=processing.INFO)
    processing.getLogger().warning("doomed")
    p = processing.Process(target=hello)
    p.start()
    p.join()
    pool = processing.Pool(1)
    pool.apply(hello)
    pool.close()
    pool.join()
    manager = processing.Manager()
    manager.shutdown()
    """
    for guarded in (True, False):
        script = program(tmp_path, LOGGING, body, guarded)
        result = (
            run_python(script, start_method, cwd=tmp_path)
            if guarded
            else run_procrun(script, start_method=start_method, cwd=tmp_path)
        )
        assert_ok(result)
        assert out(result) == "None\n"
        log = err(result)
        assert "[WARNING/MainProcess] doomed" in log
        assert "[INFO/Process-1] child process calling self.run()" in log
        assert "[WARNING/Process-1] hello from Process-1" in log
        assert re.search(r"PoolWorker-\d+\] hello from \w*PoolWorker", log), log
        assert "Manager" in log and "manager serving at" in log


def test_enable_logging_with_a_handler_type_reaches_children(
    tmp_path: Path, start_method: str
) -> None:
    body = """
    processing.enableLogging(
        logging.INFO, logging.FileHandler, ("log.txt",), "%(processName)s: %(message)s"
    )
    p = processing.Process(target=hello)
    p.start()
    p.join()
    pool = processing.Pool(1)
    pool.apply(hello)
    pool.close()
    pool.join()
    """
    for guarded in (True, False):
        (tmp_path / "log.txt").unlink(missing_ok=True)
        script = program(tmp_path, LOGGING, body, guarded)
        result = (
            run_python(script, start_method, cwd=tmp_path)
            if guarded
            else run_procrun(script, start_method=start_method, cwd=tmp_path)
        )
        assert_ok(result)
        log = (tmp_path / "log.txt").read_text()
        assert "Process-1: hello from Process-1" in log
        assert re.search(r"PoolWorker-\d+: hello from \w*PoolWorker", log), log
        assert "[" not in err(result)
