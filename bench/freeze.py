"""procrun freeze against plain PyInstaller, side by side.

Run from the repository root with the virtualenv's python:

    .venv/bin/python bench/freeze.py           # full run, about 4 minutes
    .venv/bin/python bench/freeze.py --quick   # smoke run, about 2 minutes

procrun freezes an unguarded script (``bench/scripts/frozen_unguarded.py``); plain PyInstaller
(``pyinstaller --onefile``) freezes the hand-guarded equivalent with ``freeze_support()``
(``bench/scripts/frozen_guarded.py``). Both print a line at once, then start one child that
sends a result back through a Queue, under spawn (the start method of Windows and macOS, where
freezing matters most). Measured, interleaved:

- build time from nothing (fresh work folders), and a rebuild with nothing changed;
- executable size;
- time from launch to the first line of output, and to the child's result line (medians).

Ratios are procrun / PyInstaller: lower is better; the targets are ceilings. It is a report,
not a test: the exit status is 0 whether the targets are met or not.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tables import markdown

BENCH = Path(__file__).resolve().parent
SCRIPTS = BENCH / "scripts"
BIN = Path(sys.executable).parent
COLUMNS = ("benchmark", "procrun freeze", "plain PyInstaller", "ratio", "target", "result")


def build_procrun(folder: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [str(BIN / "procrun"), "freeze", "app.py", "--quiet", "--start-method", "spawn"],
        cwd=folder,
        check=True,
    )
    return time.perf_counter() - started


def build_plain(folder: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [str(BIN / "pyinstaller"), "--onefile", "--noconfirm", "--log-level", "ERROR", "app.py"],
        cwd=folder,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def fresh_folder(root: Path, side: str, round_: int) -> Path:
    folder = root / f"{side}-{round_}"
    folder.mkdir()
    script = "frozen_unguarded.py" if side == "procrun" else "frozen_guarded.py"
    shutil.copy(SCRIPTS / script, folder / "app.py")
    return folder


def time_lines(executable: Path) -> tuple[float, float]:
    """Seconds from launch to the first output line and to the child's result line."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(executable.parent)}
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(executable)], stdout=subprocess.PIPE, env=env, cwd=executable.parent
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    first_at = time.perf_counter() - started
    result = process.stdout.readline()
    result_at = time.perf_counter() - started
    process.wait(60)
    if not first.startswith(b"started") or not result.startswith(b"result 42"):
        raise RuntimeError(f"{executable} printed {first!r} then {result!r}")
    return first_at, result_at


def row(title: str, procrun: float, plain: float, unit: str, target: float) -> dict[str, str]:
    ratio = procrun / plain
    scale, suffix = {"s": (1, "s"), "ms": (1e3, "ms"), "MB": (1e-6, "MB")}[unit]
    values = (
        title,
        f"{procrun * scale:.3g} {suffix}",
        f"{plain * scale:.3g} {suffix}",
        f"{ratio:.3f}",
        f"<= {target}" if target else "-",
        ("PASS" if ratio <= target else "FAIL") if target else "info",
    )
    return dict(zip(COLUMNS, values, strict=True))


def measure(quick: bool) -> list[dict[str, str]]:
    builds = 1 if quick else 3
    runs = 7 if quick else 21
    root = Path(tempfile.mkdtemp(prefix="procrun-bench-freeze-"))
    try:
        times: dict[str, list[float]] = {"procrun": [], "plain": []}
        folders: dict[str, Path] = {}
        for round_ in range(builds):
            order = ("procrun", "plain") if round_ % 2 == 0 else ("plain", "procrun")
            for side in order:
                folder = fresh_folder(root, side, round_)
                build = build_procrun if side == "procrun" else build_plain
                times[side].append(build(folder))
                folders[side] = folder
        rebuild = {
            "procrun": build_procrun(folders["procrun"]),
            "plain": build_plain(folders["plain"]),
        }
        executables = {side: folder / "dist" / "app" for side, folder in folders.items()}
        first: dict[str, list[float]] = {"procrun": [], "plain": []}
        result: dict[str, list[float]] = {"procrun": [], "plain": []}
        for side in executables:
            time_lines(executables[side])  # warm the page cache
        for round_ in range(runs):
            order = ("procrun", "plain") if round_ % 2 == 0 else ("plain", "procrun")
            for side in order:
                first_at, result_at = time_lines(executables[side])
                first[side].append(first_at)
                result[side].append(result_at)
        median = statistics.median
        return [
            row(
                "time to first output (onefile, spawn)",
                median(first["procrun"]),
                median(first["plain"]),
                "ms",
                1.05,
            ),
            row(
                "time to first child result",
                median(result["procrun"]),
                median(result["plain"]),
                "ms",
                1.05,
            ),
            row(
                "executable size",
                executables["procrun"].stat().st_size,
                executables["plain"].stat().st_size,
                "MB",
                1.05,
            ),
            row(
                f"build time from nothing (median of {builds})",
                median(times["procrun"]),
                median(times["plain"]),
                "s",
                1.15,
            ),
            row("rebuild, nothing changed", rebuild["procrun"], rebuild["plain"], "s", 0),
        ]
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="one build and few runs per side")
    options = parser.parse_args(argv)
    started = time.perf_counter()
    table = measure(options.quick)
    print(
        f"procrun freeze vs plain PyInstaller, onefile, Python {sys.version.split()[0]}, "
        "ratio = procrun / PyInstaller (lower is better)\n"
    )
    print(markdown(COLUMNS, table))
    print(f"\n({time.perf_counter() - started:.0f} s, {os.cpu_count()} CPUs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
