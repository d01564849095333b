"""CPython's own multiprocessing test suite, run under ``python`` and under ``procrun``.

    python tests/cpython_suite.py                      # spawn and forkserver, both runners
    python tests/cpython_suite.py -s forkserver --runner procrun   # as CI runs it

Each interpreter carries its own copy of the suite (``test._test_multiprocessing``). Under
``python`` it runs as CPython's ``test_multiprocessing_<method>`` modules run it: the tests are
installed into the main module at top level, ``unittest.main()`` sits under the
``__main__`` guard. Under ``procrun`` the same script has no guard at all, as the users
procrun is for write it: procrun's replay and globals transfer are what let every child find
the test classes.

The interpreter is the one running this file (run it with each supported Python, from an
environment where procrun is installed). It prints one row per start method: tests run,
failures under python, failures under procrun, and every difference with its reason. It
exits 1 when a test fails under procrun that passes under python and is not one of the
documented choices in :data:`CHOICES`.

A run now and then takes five minutes longer under either runner: ``WithThreadsTestPool.
test_terminate`` maps ``time.sleep(support.LONG_TIMEOUT)`` over a thread pool and terminates
it at once, and a worker thread that took a task first cannot be stopped; ``join()`` waits
the 300 s out. The test still passes. (With LONG_TIMEOUT at 0.5 s, 60 runs of that test alone
waited for a worker 6 times under python and 3 times under procrun, Python 3.12.)
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

#: Tests whose result under procrun differs from python's by a documented procrun choice.
CHOICES = {
    "test_unpickleable_result": (
        "procrun pickles results by value as it does arguments: the lambda a worker "
        "returns reaches the parent (README, 'What procrun does to your script')"
    ),
}

#: Seconds one whole run may take before its main thread's traceback is dumped and it ends.
RUN_TIMEOUT = 900

#: The suite's set-up: the test classes are made in the main module, at top level.
SETUP = """\
import faulthandler, json, sys, unittest
import test._test_multiprocessing as suite

faulthandler.dump_traceback_later({dump_after}, exit=True)
suite.install_tests_in_module_dict(globals(), {method!r})
"""

#: Running it (every test, or those named on the command line after the report's path) and
#: writing the report: under the guard for python, unguarded for procrun.
RUN = """\
program = unittest.main(argv=sys.argv[:1] + sys.argv[2:], exit=False, verbosity=0)
result = program.result
with open(sys.argv[1], "w") as report:
    json.dump({
        "run": result.testsRun,
        "failed": sorted(test.id() for test, _ in result.failures + result.errors),
        "skipped": len(result.skipped),
    }, report)
"""
GUARD = 'if __name__ == "__main__":\n'


def suite_script(folder: Path, method: str, guarded: bool) -> Path:
    setup = SETUP.format(dump_after=RUN_TIMEOUT - 60, method=method)
    run = GUARD + textwrap.indent(RUN, "    ") if guarded else RUN
    path = folder / f"suite_{method}_{'guarded' if guarded else 'unguarded'}.py"
    path.write_text(setup + run)
    return path


def run_suite(
    runner: str, method: str, folder: Path, tests: list[str] | None = None
) -> dict[str, Any]:
    """One run of the suite (or of ``tests`` alone, as ``Class.test_name``) under ``runner``."""
    label = f"{runner}_{method}" + ("_again" if tests else "")
    report = folder / f"{label}.json"
    report.unlink(missing_ok=True)
    script = suite_script(folder, method, guarded=runner == "python")
    if runner == "python":
        command = [sys.executable, str(script)]
    else:
        # No --start-method: the suite sets its own, as a script does (setUpModule).
        command = [sys.executable, "-m", "procrun", str(script)]
    command += [str(report), *(tests or [])]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROCRUN_")}
    started = time.monotonic()
    process = subprocess.Popen(
        command,
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
    seconds = time.monotonic() - started
    with open(folder / f"{label}.log", "ab") as log:
        log.write(output)
    if not report.exists():
        return {"run": 0, "failed": [], "skipped": 0, "seconds": seconds, "broken": True}
    result: dict[str, Any] = json.loads(report.read_text())
    result["seconds"] = seconds
    return result


def short(test_id: str) -> str:
    return test_id.rpartition(".")[2]


def named(test_id: str) -> str:
    """``__main__.Class.test`` as a command line names it: ``Class.test``."""
    return test_id.partition(".")[2]


def judge(method: str, differing: list[str], folder: Path) -> int:
    """Explain each test that failed under procrun and not under python: a documented choice;
    else it runs again alone, under both (a suite this size has tests that miss a timing on a
    loaded machine). Returns how many stay unexplained."""
    again: list[str] = []
    for test in differing:
        reason = CHOICES.get(short(test))
        if reason is None:
            again.append(test)
        else:
            print(f"  differs: {test}: a procrun choice: {reason}")
    if not again:
        return 0
    names = [named(test) for test in again]
    procrun_again = run_suite("procrun", method, folder, names)
    python_again = run_suite("python", method, folder, names)
    unexplained = 0
    for test in again:
        under_procrun = procrun_again.get("broken") or test in procrun_again["failed"]
        under_python = python_again.get("broken") or test in python_again["failed"]
        if not under_procrun:
            print(f"  differs: {test}: passed when run again alone (a timing miss)")
        elif under_python:
            print(f"  differs: {test}: fails under python too when run again alone")
        else:
            print(f"  differs: {test}: UNEXPLAINED (fails again, alone, under procrun only)")
            unexplained += 1
    return unexplained


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "-s", "--start-method", action="append", choices=["spawn", "forkserver", "fork"]
    )
    parser.add_argument(
        "--runner",
        choices=["both", "procrun"],
        default="both",
        help="procrun: the whole suite under procrun only, and a test that fails there "
        "again alone under both (what CI runs: half the time)",
    )
    parser.add_argument("--keep", type=Path, help="folder to keep the scripts, logs, reports in")
    options = parser.parse_args()
    # A shell without job control starts its background commands with SIGINT ignored, and
    # an ignored signal stays ignored across exec: Python would then install no
    # KeyboardInterrupt handler, and the tests that interrupt a wait would fail under both
    # runners. A handler of our own is reset to the default in each child instead.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        found = importlib.util.find_spec("test._test_multiprocessing")
    except ImportError:  # no test package at all
        found = None
    if found is None:
        print(
            f"cpython_suite: {sys.executable} has no test._test_multiprocessing; install "
            "the interpreter with its test package (pyenv does)",
            file=sys.stderr,
        )
        return 2
    methods = options.start_method or ["spawn", "forkserver"]
    runners = ["python", "procrun"] if options.runner == "both" else ["procrun"]
    folder = options.keep or Path(tempfile.mkdtemp(prefix="cpython-suite-"))
    folder.mkdir(parents=True, exist_ok=True)
    version = ".".join(map(str, sys.version_info[:3]))
    unexplained = 0
    print(f"Python {version}; logs in {folder}", flush=True)
    print(f"{'method':<11} {'runner':<8} {'run':>5} {'skipped':>7} {'failed':>6} {'seconds':>8}")
    for method in methods:
        results = {runner: run_suite(runner, method, folder) for runner in runners}
        for runner, result in results.items():
            state = " (did not finish: see the log)" if result.get("broken") else ""
            print(
                f"{method:<11} {runner:<8} {result['run']:>5} {result['skipped']:>7} "
                f"{len(result['failed']):>6} {result['seconds']:>8.0f}{state}",
                flush=True,
            )
            unexplained += bool(result.get("broken"))
        python_failed = set(results["python"]["failed"]) if "python" in results else set()
        for test in sorted(python_failed - set(results["procrun"]["failed"])):
            print(f"  differs: {test}: fails under python only")
        differing = sorted(set(results["procrun"]["failed"]) - python_failed)
        unexplained += judge(method, differing, folder)
    print("every difference explained" if not unexplained else f"{unexplained} unexplained")
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
