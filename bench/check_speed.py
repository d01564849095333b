"""``procrun check`` against ruff and pyflakes on the standard library, side by side.

Run from the repository root with the virtualenv's python (procrun and pyflakes installed:
``pip install -e '.[bench]'``):

    .venv/bin/python bench/check_speed.py           # 5 runs of each side, about 5 minutes
    .venv/bin/python bench/check_speed.py --quick   # 2 runs of each side

The files: every ``*.py`` file under ``sysconfig.get_paths()["stdlib"]`` of this python, as
``procrun check`` discovers them (``site-packages`` and the like skipped); pyflakes gets the
very same list. Two comparisons, each run interleaved (procrun, pyflakes, procrun, ...)
after one untimed warm-up of each side, so that machine noise falls on both alike:

1. **core, one process each** (the target): a fresh interpreter per run reads and checks
   every file in one loop: ``procrun.checker.runner.check_file`` against pyflakes'
   ``api.checkPath`` with a reporter that discards its output. Timed inside the process,
   imports excluded. Same work per file for the syntax check (one ``ast.parse``); pyflakes
   then analyses every file, procrun only the files that import a process API (about 2%):
   no rule can fire in the others. Target: ratio (procrun / pyflakes) <= 1.0.
2. **the commands, wall time**: ``procrun check --no-cache --format json FILES`` (by
   default it checks in as many processes as pay off: up to one per core) and
   ``procrun check --jobs 1``
   against ``pyflakes FILES`` (one process), timed around the whole command. Information:
   the parallel row compares several cores with one.
3. **against ruff, wall time** (the targets): ``procrun check --no-cache STDLIB`` against
   ``ruff check --select F --no-cache STDLIB``, both finding the files themselves with all
   the cores they use, cold: ratio <= 1.0. Then both with their caches filled by a first
   run (``.procrun_cache`` and ``.ruff_cache`` in a scratch directory both run in): procrun's
   warm run at most 0.2 s, ruff's shown beside it.

It is a report, not a test: the exit status is 0 whether the target is met or not.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable, Sequence

from tables import markdown

TARGET = 1.0
#: seconds a run over an unchanged tree may take with the cache filled
WARM_TARGET = 0.2
PYTHON = sys.executable
RUFF = os.path.join(os.path.dirname(PYTHON), "ruff")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def stdlib_files() -> list[str]:
    from procrun.checker.files import discover

    root = sysconfig.get_paths()["stdlib"]
    return [f for f in discover([root]) if isinstance(f, str)]


# -- one timed side, run in a fresh interpreter ---------------------------------------------


def time_procrun_core(files: list[str]) -> float:
    from procrun.checker.runner import _check_chunk

    began = time.perf_counter()
    _check_chunk([(file, None, None) for file in files], stamp=False)  # as --no-cache
    return time.perf_counter() - began


def time_pyflakes_core(files: list[str]) -> float:
    import io

    from pyflakes import api, reporter  # type: ignore[import-untyped, import-not-found, unused-ignore]

    sink = reporter.Reporter(io.StringIO(), io.StringIO())
    began = time.perf_counter()
    for path in files:
        api.checkPath(path, sink)
    return time.perf_counter() - began


def one_side(side: str, list_file: str) -> None:
    with open(list_file) as handle:
        files = handle.read().split("\n")
    timer = time_procrun_core if side == "procrun" else time_pyflakes_core
    print(f"{timer(files):.6f}")


# -- the comparison --------------------------------------------------------------------------


def core_run(side: str, list_file: str) -> float:
    command = [PYTHON, os.path.abspath(__file__), "--side", side, list_file]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=900)
    if result.returncode != 0:
        raise RuntimeError(f"{side}: exit {result.returncode}: {result.stderr[-2000:]}")
    return float(result.stdout.strip().splitlines()[-1])


def command_run(command: list[str], cwd: str = ROOT) -> float:
    began = time.perf_counter()
    result = subprocess.run(command, capture_output=True, cwd=cwd, timeout=900)
    elapsed = time.perf_counter() - began
    if result.returncode not in (0, 1, 2) or not result.stdout:
        raise RuntimeError(f"{command[:3]}: exit {result.returncode}: {result.stderr[-2000:]!r}")
    return elapsed


def interleaved(
    runs: int, first: Callable[[], float], second: Callable[[], float]
) -> tuple[list[float], list[float]]:
    """Warm each side once, then alternate: A B, B A, A B, ... ``runs`` times each."""
    print("  warming up", file=sys.stderr, flush=True)
    first()
    second()
    a: list[float] = []
    b: list[float] = []
    for i in range(runs):
        if i % 2 == 0:
            a.append(first())
            b.append(second())
        else:
            b.append(second())
            a.append(first())
        print(f"  run {i + 1}: {a[-1]:.2f} s / {b[-1]:.2f} s", file=sys.stderr, flush=True)
    return a, b


COLUMNS = (
    "comparison",
    "procrun median",
    "baseline median",
    "ratio",
    "target",
    "verdict",
    "range (procrun / baseline)",
)


def row(
    name: str, a: list[float], b: list[float], target: str, absolute: float | None = None
) -> dict[str, str]:
    """A table row; the verdict is on the ratio (``target``) or, with ``absolute``, on
    procrun's median in seconds."""
    ma, mb = statistics.median(a), statistics.median(b)
    if absolute is not None:
        verdict = "PASS" if ma <= absolute else "FAIL"
    else:
        verdict = ("PASS" if ma / mb <= TARGET else "FAIL") if target else "info"
    return {
        "comparison": name,
        "procrun median": f"{ma:.3f} s",
        "baseline median": f"{mb:.3f} s",
        "ratio": f"{ma / mb:.2f}",
        "target": target or "-",
        "verdict": verdict,
        "range (procrun / baseline)": f"{min(a):.2f}-{max(a):.2f} / {min(b):.2f}-{max(b):.2f}",
    }


def against_ruff(runs: int, stdlib: str) -> tuple[tuple[list[float], list[float]], ...]:
    """Cold (no caches) and warm (caches filled) runs of both commands over ``stdlib``."""
    procrun = [PYTHON, "-m", "procrun", "check", "--format", "json", stdlib]
    ruff = [RUFF, "check", "--select", "F", "--output-format", "json", stdlib]
    with tempfile.TemporaryDirectory() as scratch:
        print("against ruff, cold: --no-cache", file=sys.stderr, flush=True)
        cold = interleaved(
            runs,
            lambda: command_run([*procrun, "--no-cache"], scratch),
            lambda: command_run([*ruff, "--no-cache"], scratch),
        )
        print("against ruff, warm: caches filled", file=sys.stderr, flush=True)
        warm = interleaved(
            runs, lambda: command_run(procrun, scratch), lambda: command_run(ruff, scratch)
        )
    return cold, warm


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="2 runs of each side")
    parser.add_argument("--repeat", type=int, default=None, metavar="N", help="N runs each")
    parser.add_argument("--side", choices=["procrun", "pyflakes"], help=argparse.SUPPRESS)
    parser.add_argument("list_file", nargs="?", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.side:
        one_side(args.side, args.list_file)
        return 0
    try:
        import pyflakes  # type: ignore[import-untyped, import-not-found, unused-ignore]
    except ImportError:
        print("bench/check_speed.py: pyflakes is not installed: pip install -e '.[bench]'")
        return 0
    runs = args.repeat or (2 if args.quick else 5)
    stdlib = sysconfig.get_paths()["stdlib"]
    files = stdlib_files()
    size = sum(os.path.getsize(f) for f in files)
    began = time.perf_counter()
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write("\n".join(files))
        list_file = handle.name
    try:
        print("core, one process each", file=sys.stderr, flush=True)
        core = interleaved(
            runs, lambda: core_run("procrun", list_file), lambda: core_run("pyflakes", list_file)
        )
        procrun = [PYTHON, "-m", "procrun", "check", "--no-cache", "--format", "json", *files]
        serial = [*procrun[:4], "--jobs", "1", *procrun[4:]]
        pyflakes_cli = [PYTHON, "-m", "pyflakes", *files]
        print("the commands, procrun check (default jobs) / pyflakes", file=sys.stderr)
        parallel_cli = interleaved(
            runs, lambda: command_run(procrun), lambda: command_run(pyflakes_cli)
        )
        print("the commands, procrun check --jobs 1 / pyflakes", file=sys.stderr, flush=True)
        serial_cli = interleaved(
            runs, lambda: command_run(serial), lambda: command_run(pyflakes_cli)
        )
        ruff_rows = against_ruff(runs, stdlib) if os.path.exists(RUFF) else None
    finally:
        os.unlink(list_file)
    jobs = min(os.cpu_count() or 1, len(files) // 48)
    print(
        f"Standard library of Python {sys.version.split()[0]}: {len(files)} files, "
        f"{size / 1e6:.1f} MB; pyflakes {pyflakes.__version__}; {runs} runs of each side, "
        f"interleaved; {os.cpu_count()} cores.\n"
    )
    rows = [
        row("core, one process each, vs pyflakes (in-process loop)", *core, f"<= {TARGET:g}"),
        row("`procrun check --jobs 1` vs `pyflakes` (wall)", *serial_cli, ""),
        row(f"`procrun check` ({jobs} jobs) vs `pyflakes` (wall)", *parallel_cli, ""),
    ]
    if ruff_rows is not None:
        cold, warm = ruff_rows
        rows += [
            row("cold: `procrun check --no-cache` vs `ruff check --select F --no-cache` (wall)",
                *cold, f"<= {TARGET:g}"),
            row("warm, caches filled: `procrun check` vs `ruff check --select F` (wall)", *warm,
                f"procrun <= {WARM_TARGET:g} s", absolute=WARM_TARGET),
        ]  # fmt: skip
    print(markdown(COLUMNS, rows))
    print(f"\n({time.perf_counter() - began:.1f} s)")
    summary = {
        "files": len(files),
        "core": [statistics.median(core[0]), statistics.median(core[1])],
        "cli_serial": [statistics.median(serial_cli[0]), statistics.median(serial_cli[1])],
        "cli_parallel": [statistics.median(parallel_cli[0]), statistics.median(parallel_cli[1])],
    }
    if ruff_rows is not None:
        summary["ruff_cold"] = [statistics.median(side) for side in ruff_rows[0]]
        summary["ruff_warm"] = [statistics.median(side) for side in ruff_rows[1]]
    print(f"\n<!-- {json.dumps(summary)} -->")
    return 0


if __name__ == "__main__":
    sys.exit(main())
