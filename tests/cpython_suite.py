"""CPython's own multiprocessing test suite, run under ``python`` and under ``procrun``.

    python tests/cpython_suite.py                      # spawn and forkserver, both runners
    python tests/cpython_suite.py -s forkserver --runner procrun

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
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

#: Tests whose result under procrun differs from python's by a documented procrun choice.
CHOICES = {
    "test_unpickleable_result": (
        "procrun pickles results by value as it does arguments: the lambda a worker "
        "returns reaches the parent (README, 'What procrun does to your script')"
    ),
}

#: Seconds one whole run may take before its main thread's traceback is dumped and it ends.
RUN_TIMEOUT = 1500

#: The suite's set-up: the test classes are made in the main module, at top level.
SETUP = """\
import faulthandler, json, sys, unittest
import test._test_multiprocessing as suite

faulthandler.dump_traceback_later({dump_after}, exit=True)
suite.install_tests_in_module_dict(globals(), {method!r})
"""

#: Running it and writing the report: under the guard for python, unguarded for procrun.
RUN = """\
program = unittest.main(argv=[sys.argv[0]], exit=False, verbosity=0)
result = program.result
with open({report!r}, "w") as report:
    json.dump({{
        "run": result.testsRun,
        "failed": sorted(test.id() for test, _ in result.failures + result.errors),
        "skipped": len(result.skipped),
    }}, report)
"""


def suite_script(folder: Path, method: str, guarded: bool, report: Path) -> Path:
    setup = SETUP.format(dump_after=RUN_TIMEOUT - 60, method=method)
    run = RUN.format(report=str(report))
    if guarded:
        run = 'if __name__ == "__main__":\n' + textwrap.indent(run, "    ")
    path = folder / f"suite_{method}_{'guarded' if guarded else 'unguarded'}.py"
    path.write_text(setup + run)
    return path


def run_suite(runner: str, method: str, folder: Path) -> dict[str, object]:
    report = folder / f"{runner}_{method}.json"
    if runner == "python":
        command = [sys.executable, str(suite_script(folder, method, True, report))]
    else:
        script = suite_script(folder, method, False, report)
        # No --start-method: the suite sets its own, as a script does (setUpModule).
        command = [sys.executable, "-m", "procrun", str(script)]
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
    (folder / f"{runner}_{method}.log").write_bytes(output)
    if not report.exists():
        return {"run": 0, "failed": [], "skipped": 0, "seconds": seconds, "broken": True}
    result: dict[str, object] = json.loads(report.read_text())
    result["seconds"] = seconds
    return result


def short(test_id: str) -> str:
    return test_id.rpartition(".")[2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "-s", "--start-method", action="append", choices=["spawn", "forkserver", "fork"]
    )
    parser.add_argument("--runner", choices=["both", "python", "procrun"], default="both")
    parser.add_argument("--keep", type=Path, help="folder to keep the scripts, logs, reports in")
    options = parser.parse_args()
    methods = options.start_method or ["spawn", "forkserver"]
    runners = ["python", "procrun"] if options.runner == "both" else [options.runner]
    folder = options.keep or Path(tempfile.mkdtemp(prefix="cpython-suite-"))
    folder.mkdir(parents=True, exist_ok=True)
    version = ".".join(map(str, sys.version_info[:3]))
    unexplained = 0
    print(f"Python {version}; logs in {folder}")
    print(f"{'method':<11} {'runner':<8} {'run':>5} {'skipped':>7} {'failed':>6} {'seconds':>8}")
    for method in methods:
        results = {runner: run_suite(runner, method, folder) for runner in runners}
        for runner, result in results.items():
            state = " (did not finish: see the log)" if result.get("broken") else ""
            failed = result["failed"]
            assert isinstance(failed, list)
            print(
                f"{method:<11} {runner:<8} {result['run']:>5} {result['skipped']:>7} "
                f"{len(failed):>6} {result['seconds']:>8.0f}{state}"
            )
            if result.get("broken"):
                unexplained += 1
        if len(results) == 2:
            python_failed = set(results["python"]["failed"])  # type: ignore[call-overload]
            procrun_failed = set(results["procrun"]["failed"])  # type: ignore[call-overload]
            for test in sorted(procrun_failed - python_failed):
                reason = CHOICES.get(short(test))
                print(f"  fails only under procrun: {test}: {reason or 'UNEXPLAINED'}")
                unexplained += reason is None
            for test in sorted(python_failed - procrun_failed):
                print(f"  fails only under python:  {test}")
        else:
            for test in results[runners[0]]["failed"]:  # type: ignore[attr-defined]
                print(f"  failed: {test}")
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
