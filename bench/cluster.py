"""procrun --cluster ray|dask against the local Pool, side by side, in one run.

    .venv/bin/python bench/cluster.py           # about 5 minutes on two cores
    .venv/bin/python bench/cluster.py --quick   # about 1 minute

Needs the ray and dask extras (``pip install -e '.[bench,ray,dask]'``). One unguarded script
(``bench/scripts/cluster_job.py``) is run by ``procrun`` (the local Pool, 2 processes),
``procrun --cluster ray`` and ``procrun --cluster dask`` (a local Ray instance and a local Dask
``LocalCluster``, each sized to this machine's CPUs), the three launches interleaved, their
order rotating. Each launch times, after its pool is up:

- ``Pool.map`` of 200 CPU-bound tasks of about 50 ms each (a fixed count of loop turns), in
  the default chunks (Pool's rule: four chunks a worker);
- ``Pool.map`` of 400 empty tasks with ``chunksize=1``: its time per task is the engine's
  per-task overhead;

and, around them, the pool's start (the engine's start included) and the whole run, from
launch to exit. Ratios are the engine's median over the local Pool's: the cost of moving the
same script to a cluster on one machine. A fourth side, as information behind procrun's
choice of plain Ray tasks, runs the job with Ray's own ``ray.util.multiprocessing.Pool``.
It is a report: the exit status is 0 whatever the numbers.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tables import markdown

BENCH = Path(__file__).resolve().parent
JOB = BENCH / "scripts" / "cluster_job.py"
TASKS, TASK_MS, EMPTY = 200, 50, 400
LAUNCHES, ROUNDS = 3, 3  # samples per side: LAUNCHES * ROUNDS maps
QUICK = {"tasks": 40, "launches": 1, "rounds": 1}
RAY_POOL = "Ray's multiprocessing Pool"
#: side -> (procrun's options, the job's extra arguments)
SIDES: dict[str, tuple[list[str], list[str]]] = {
    "local Pool": ([], []),
    "Ray": (["--cluster", "ray"], []),
    "Dask": (["--cluster", "dask"], []),
    RAY_POOL: ([], ["ray-pool"]),
}
MODULES = {"Ray": "ray", "Dask": "distributed", RAY_POOL: "ray"}
COLUMNS = ("measure", "local Pool", "Ray", "Dask", "Ray / local", "Dask / local")


def installed(side: str) -> bool:
    module = MODULES.get(side)
    return module is None or importlib.util.find_spec(module) is not None


def launch(side: str, tasks: int, rounds: int) -> tuple[dict[str, Any], float]:
    """One run of the job on ``side``: its timings, and the whole run's seconds."""
    options, extra = SIDES[side]
    command = [sys.executable, "-m", "procrun", *options, str(JOB)]
    command += [str(tasks), str(TASK_MS), str(EMPTY), str(rounds), *extra]
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"{side}: exit {result.returncode}: {result.stderr.strip()[-1500:]}")
    return json.loads(result.stdout.strip().splitlines()[-1]), elapsed


def collect(
    sides: list[str], tasks: int, launches: int, rounds: int
) -> dict[str, dict[str, list[float]]]:
    """side -> measure -> samples, the sides' launches interleaved."""
    samples: dict[str, dict[str, list[float]]] = {side: {} for side in sides}
    for number in range(launches):
        order = sides[number % len(sides) :] + sides[: number % len(sides)]
        for side in order:
            print(f"launch {number + 1}/{launches}: {side}", file=sys.stderr, flush=True)
            timings, whole = launch(side, tasks, rounds)
            into = samples[side]
            into.setdefault("map", []).extend(timings["map"])
            into.setdefault("task", []).extend(t / EMPTY for t in timings["empty"])
            into.setdefault("start", []).append(timings["start"])
            into.setdefault("whole", []).append(whole)
    return samples


def _median(samples: dict[str, dict[str, list[float]]], side: str, measure: str) -> float | None:
    values = samples.get(side, {}).get(measure)
    return statistics.median(values) if values else None


def rows(samples: dict[str, dict[str, list[float]]], tasks: int) -> list[dict[str, str]]:
    measures = [
        ("map", f"`Pool.map`, {tasks} tasks of {TASK_MS} ms (s)", 1.0, "{:.2f}"),
        ("task", "per-task overhead: 400 empty tasks, chunksize=1 (ms a task)", 1000.0, "{:.3f}"),
        ("start", "pool start, the engine's included (s)", 1.0, "{:.2f}"),
        ("whole", "whole run, launch to exit (s)", 1.0, "{:.2f}"),
    ]
    table = []
    for key, label, scale, shape in measures:
        row = {"measure": label}
        local = _median(samples, "local Pool", key)
        for side in ("local Pool", "Ray", "Dask"):
            value = _median(samples, side, key)
            row[side] = "not measured" if value is None else shape.format(value * scale)
            if side != "local Pool":
                ratio = None if value is None or not local else value / local
                row[f"{side} / local"] = "—" if ratio is None else f"{ratio:.2f}"
        table.append(row)
    if RAY_POOL in samples:
        for key, label, scale, shape in measures:
            value = _median(samples, RAY_POOL, key)
            local = _median(samples, "local Pool", key)
            assert value is not None and local
            table.append(
                {
                    "measure": f"information: {RAY_POOL}, {label}",
                    "local Pool": shape.format(local * scale),
                    "Ray": shape.format(value * scale),
                    "Dask": "",
                    "Ray / local": f"{value / local:.2f}",
                    "Dask / local": "",
                }
            )
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one launch a side, 40 tasks")
    args = parser.parse_args(argv)
    tasks = QUICK["tasks"] if args.quick else TASKS
    launches = QUICK["launches"] if args.quick else LAUNCHES
    rounds = QUICK["rounds"] if args.quick else ROUNDS
    sides = [side for side in SIDES if installed(side)]
    samples = collect(sides, tasks, launches, rounds)
    print(markdown(COLUMNS, rows(samples, tasks)))
    counts = {side: len(samples[side]["map"]) for side in samples}
    print(f"\nSamples (maps) a side: {counts}; {launches} launches a side, interleaved.")
    missing = [side for side in SIDES if side not in sides]
    if missing:
        print(f"Not measured (not installed): {', '.join(missing)}: pip install -e '.[ray,dask]'")
    return 0


if __name__ == "__main__":
    sys.exit(main())
