"""``processing`` 0.34-0.52 process API: Process objects everywhere, ``stop()``/``ProcessExit``,
the old ``repr``, ``waitForAnyChild``, logging, finalizers, ``Pool.shutdown()`` and a
collected pool ending its workers.

Each behaviour runs as a real program under spawn, forkserver and fork: a guarded program
under ``python`` and, for the key behaviours, the same program unguarded under ``procrun``.
"""

from __future__ import annotations

import re
import signal
import subprocess
from pathlib import Path

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


def run_both_results(
    tmp_path: Path, start_method: str, functions: str, body: str
) -> list[subprocess.CompletedProcess[str]]:
    """The program run guarded under python, then unguarded under procrun; both succeeded."""
    results = []
    for guarded in (True, False):
        script = program(tmp_path, functions, body, guarded)
        result = (
            run_python(script, start_method, cwd=tmp_path)
            if guarded
            else run_procrun(script, start_method=start_method, cwd=tmp_path)
        )
        assert_ok(result)
        results.append(result)
    return results


def run_both(tmp_path: Path, start_method: str, functions: str, body: str) -> list[str]:
    """Stdout of the program run guarded under python, then unguarded under procrun."""
    return [out(result) for result in run_both_results(tmp_path, start_method, functions, body)]


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


FINALIZE = """
import processing
from processing.finalize import Finalize

class Thing:
    pass

def note(text):
    print(text, flush=True)

KEPT = []

def child():
    keep = Thing()
    KEPT.append(keep)  # alive at exit: its finalizers run by exit priority
    Finalize(None, note, args=("exit priority 10",), exitpriority=10)
    Finalize(keep, note, ("0.37 atexit",), True)
    Finalize(keep, note, kwargs={"text": "0.52 exitpriority 0"}, exitpriority=0)
    dropped = Thing()
    f = processing.Finalize(dropped, note, args=("collected",))
    print("active", f.stillActive(), flush=True)
    del dropped
    print("active", f.stillActive(), flush=True)
"""


def test_finalize_runs_on_collection_and_at_child_exit_by_priority(
    tmp_path: Path, start_method: str
) -> None:
    body = """
    p = processing.Process(target=child)
    p.start()
    p.join()
    """
    for output in run_both(tmp_path, start_method, FINALIZE, body):
        assert output.splitlines() == [
            "active True",
            "collected",
            "active False",
            "exit priority 10",
            "0.52 exitpriority 0",
            "0.37 atexit",
        ]


POOL = """
import time, processing

def cube(x):
    return x ** 3
"""


def test_collected_pool_terminates_its_workers_with_results_pending(
    tmp_path: Path, start_method: str
) -> None:
    body = """
    pool = processing.Pool(2)
    workers = pool._pool
    print(pool.apply(cube, [2]))
    results = [pool.applyAsync(time.sleep, [60]) for i in range(10)]
    del results, pool
    time.sleep(0.5)
    print([w.isAlive() for w in workers])
    """
    for output in run_both(tmp_path, start_method, POOL, body):
        assert output.splitlines() == ["8", "[False, False]"]


def test_a_pool_deleted_after_a_task_failed_still_terminates_its_workers(
    tmp_path: Path, start_method: str
) -> None:
    # The task's error, caught by the program, must not keep the pool alive through a
    # reference cycle (error -> traceback -> result -> error) until the collector runs.
    functions = (
        POOL
        + """
def inverse(x):
    return 1 / x
"""
    )
    body = """
    pool = processing.Pool(2)
    workers = pool._pool
    for call in (pool.map, pool.starmap, pool.apply):
        try:
            call(inverse, [(0,)] if call is not pool.apply else (0,))
        except (ZeroDivisionError, TypeError):
            pass
    del pool, call
    time.sleep(0.5)
    print([w.isAlive() for w in workers])
    """
    for output in run_both(tmp_path, start_method, functions, body):
        assert output.splitlines() == ["[False, False]"]


def test_pool_shutdown_finishes_the_work_then_stops_the_workers(
    tmp_path: Path, start_method: str
) -> None:
    body = """
    pool = processing.Pool(2)
    result = pool.applyAsync(cube, (3,))
    mapped = pool.mapAsync(cube, range(4))
    chunks = pool.imap(cube, range(7), chunksize=3)
    pool.shutdown()
    print(result.get(), mapped.get(), list(chunks), [w.isAlive() for w in pool._pool])
    """
    for output in run_both(tmp_path, start_method, POOL, body):
        assert output.splitlines() == [
            "27 [0, 1, 8, 27] [0, 1, 8, 27, 64, 125, 216] [False, False]"
        ]


def test_imap_next_with_a_timeout_waits_for_a_chunk_and_loses_nothing(
    tmp_path: Path, start_method: str
) -> None:
    # With chunks of several results, next(timeout) still raises TimeoutError while the
    # first chunk is being computed, and the results then arrive in order, none skipped.
    functions = (
        POOL
        + """
def slow_cube(x):
    if x == 0:
        time.sleep(1.0)
    return x ** 3
"""
    )
    body = """
    pool = processing.Pool(1)
    for method in (pool.imap, pool.imapUnordered):
        results = method(slow_cube, range(5), chunksize=2)
        try:
            results.next(0.05)
        except processing.TimeoutError:
            print("timed out")
        print(results.next(30), sorted(results))
    pool.terminate()
    """
    for output in run_both(tmp_path, start_method, functions, body):
        assert output.splitlines() == ["timed out", "0 [1, 8, 27, 64]"] * 2


def test_info_writes_the_process_name_and_debug_is_silent_without_logging(
    tmp_path: Path, start_method: str
) -> None:
    # 0.35's helpers: info() always on stderr, named by the process; debug() only once
    # logging is enabled at DEBUG.
    functions = """
import processing

def work():
    processing.info("in the child")
    processing.debug("child detail")
"""
    body = """
    processing.info("in the parent")
    processing.debug("not shown")
    child = processing.Process(target=work)
    child.start()
    child.join(30)
    """
    for result in run_both_results(tmp_path, start_method, functions, body):
        lines = err(result).splitlines()
        assert lines == ["[MainProcess] in the parent", "[Process-1] in the child"], lines


BAD_INPUT = """
import time, logging, processing

def check(label, call, error):
    try:
        call()
    except error as e:
        print(label, "ok" if str(e) else "empty message")
    else:
        print(label, "no error")
"""


def test_bad_arguments_raise_clear_errors_not_hangs(tmp_path: Path, start_method: str) -> None:
    body = """
    p = processing.Process(target=time.sleep, args=(60,))
    check("setName", lambda: p.setName(3), TypeError)
    check("setAuthKey", lambda: p.setAuthKey(3), TypeError)
    check("stop before start", p.stop, ValueError)
    check("waitForAnyChild none", processing.waitForAnyChild, ChildProcessError)
    check("waitForAnyChild block", lambda: processing.waitForAnyChild("yes"), TypeError)
    p.start()
    check("setDaemon after start", lambda: p.setDaemon(True), ValueError)
    check("setStoppable after start", lambda: p.setStoppable(True), ValueError)
    p.terminate()
    p.join()
    check("Pool processes 0", lambda: processing.Pool(0), ValueError)
    check("Pool processes str", lambda: processing.Pool("2"), ValueError)
    check("Pool initializer", lambda: processing.Pool(1, initializer=3), TypeError)
    pool = processing.Pool(1)
    check("imap chunksize", lambda: pool.imap(abs, [1], chunksize=0), ValueError)
    pool.terminate()
    check("enableLogging level", lambda: processing.enableLogging(None), TypeError)
    check("enableLogging handler", lambda: processing.enableLogging(10, 3), TypeError)
    check("Finalize callback", lambda: processing.Finalize(p, 3), TypeError)
    check("Finalize no object", lambda: processing.Finalize(None, print), ValueError)
    check("Finalize priority", lambda: processing.Finalize(None, abs, exitpriority="1"), TypeError)
    """
    for output in run_both(tmp_path, start_method, BAD_INPUT, body):
        lines = output.splitlines()
        assert len(lines) == 16 and all(line.endswith(" ok") for line in lines), output


def test_logging_levels_and_modules_of_processing_0_52() -> None:
    import logging

    import processing
    import processing.finalize
    import processing.forking
    import processing.logger

    assert (processing.NOTSET, processing.SUBDEBUG, processing.DEBUG) == (0, 5, logging.DEBUG)
    assert (processing.INFO, processing.SUBWARNING) == (logging.INFO, 25)
    assert processing.logger.SUBWARNING == 25 and callable(processing.logger.enableLogging)
    assert processing.Finalize is processing.finalize.Finalize
    assert callable(processing.forking.freezeSupport)
    assert processing.forking.thisThreadIsSpawning() is False
    with pytest.raises(RuntimeError):
        processing.forking.assertSpawning(processing.Lock())
    assert {"ProcessExit", "Finalize", "SUBDEBUG", "SUBWARNING"} <= set(processing.__all__)
