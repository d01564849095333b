"""SharedArray against multiprocessing.Array: item reads and writes, side by side, one process.

Run from the repository root with the virtualenv's python:

    .venv/bin/python bench/runtime_shared.py           # full run, about 10 s
    .venv/bin/python bench/runtime_shared.py --quick   # smoke run, about 1 s

Each benchmark loops over every item of a 100,000-item array (``a[i]``, or ``a[i] = x``) with
the same code for both sides. The sides run interleaved (SharedArray, multiprocessing,
multiprocessing, SharedArray, ...) after one untimed pass each, so that machine noise falls on
both alike; the table shows each side's median time per item and
ratio = SharedArray throughput / multiprocessing throughput (multiprocessing median /
SharedArray median). SharedArray checks the range of every integer it stores (ctypes, under
a raw multiprocessing.Array, silently wraps 300 to 44 in a 'B' item), as the runtime issue's
"bad input" rule demands. Without a lock that check is a Python-level __setitem__ against
ctypes' C one, about 0.35x: no C type of the standard library both checks the range and
writes into shared memory as an item assignment, so that row is information, not a target
(with the default lock=True, integer writes are faster than multiprocessing.Array's).

It is a report, not a test: the exit status is 0 whether the targets are met or not.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from processing.sharedmem import SharedArray  # type: ignore[import-not-found, unused-ignore]
from tables import markdown

ITEMS = 100_000
TARGET = 0.9
COLUMNS = (
    "benchmark",
    "SharedArray median",
    "multiprocessing median",
    "ratio",
    "target",
    "result",
)


def read_items(array: Any, count: int) -> None:
    for index in range(count):
        array[index]


def write_items(array: Any, count: int) -> None:
    for index in range(count):
        array[index] = 1


@dataclass(frozen=True)
class Case:
    """One comparison: the same loop over a SharedArray and a multiprocessing.Array."""

    title: str
    format: str
    lock: bool
    loop: Callable[[Any, int], None]
    targeted: bool = True


CASES = (
    Case("read a[i], 'd', lock=False", "d", False, read_items),
    Case("write a[i] = x, 'd', lock=False", "d", False, write_items),
    Case("read a[i], 'd', lock=True", "d", True, read_items),
    Case("write a[i] = x, 'd', lock=True", "d", True, write_items),
    Case("read a[i], 'i', lock=True", "i", True, read_items),
    Case("write a[i] = x, 'i', lock=True", "i", True, write_items),
    Case("read a[i], 'i', lock=False", "i", False, read_items),
    Case(
        "write a[i] = x, 'i', lock=False (range-checked; ctypes wraps)",
        "i",
        False,
        write_items,
        targeted=False,
    ),
)


def time_per_item(loop: Callable[[Any, int], None], array: Any, count: int) -> float:
    start = time.perf_counter()
    loop(array, count)
    return (time.perf_counter() - start) / count


def measure(case: Case, count: int, repeat: int) -> tuple[float, float]:
    """Median seconds per item of (SharedArray, multiprocessing.Array), interleaved."""
    shared = SharedArray(case.format, count, lock=case.lock)
    baseline = multiprocessing.Array(case.format, count, lock=case.lock)
    sides = [shared, baseline]
    for array in sides:
        case.loop(array, count)  # warm-up
    times: list[list[float]] = [[], []]
    for round_ in range(repeat):
        order = (0, 1) if round_ % 2 == 0 else (1, 0)
        for side in order:
            times[side].append(time_per_item(case.loop, sides[side], count))
    return statistics.median(times[0]), statistics.median(times[1])


def rows(quick: bool) -> list[dict[str, str]]:
    """One row per benchmark, keyed by COLUMNS: medians, ratio, target and PASS/FAIL."""
    repeat = 9 if quick else 21
    result = []
    for case in CASES:
        count = ITEMS // 5 if quick and case.lock else ITEMS
        shared, baseline = measure(case, count, repeat)
        ratio = baseline / shared
        verdict = ("PASS" if ratio >= TARGET else "FAIL") if case.targeted else "info"
        values = (
            case.title,
            f"{shared * 1e9:.1f} ns/item",
            f"{baseline * 1e9:.1f} ns/item",
            f"{ratio:.2f}",
            f">= {TARGET}" if case.targeted else "-",
            verdict,
        )
        result.append(dict(zip(COLUMNS, values, strict=True)))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="few repetitions: a smoke run")
    options = parser.parse_args(argv)
    started = time.perf_counter()
    table = rows(options.quick)
    print(
        f"SharedArray vs multiprocessing.Array, {ITEMS:,} items, Python "
        f"{sys.version.split()[0]}, ratio = SharedArray throughput / multiprocessing "
        "throughput\n"
    )
    print(markdown(COLUMNS, table))
    print(f"\n({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
