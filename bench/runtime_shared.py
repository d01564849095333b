"""processing's shared objects against multiprocessing's, side by side, in one process.

Run from the repository root with the virtualenv's python:

    .venv/bin/python bench/runtime_shared.py           # full run, about 30 s
    .venv/bin/python bench/runtime_shared.py --quick   # smoke run, about 5 s

Each benchmark runs the same loop over a processing object and its multiprocessing
counterpart: ``a[i]`` / ``a[i] = x`` over every item of a 100,000-item ``SharedArray``
against ``multiprocessing.Array``; ``v.value`` / ``v.value = x`` for ``processing.Value``
against ``multiprocessing.Value``; item access through ``processing.Array``; ``put()`` then
``get()`` of small items through ``processing.PipeQueue`` against ``multiprocessing.Queue``; and
item access through a manager's list proxy (``processing.Manager().list()`` against
``multiprocessing.Manager().list()``). The sides run interleaved (processing,
multiprocessing, multiprocessing, processing, ...) after one untimed pass each, so that
machine noise falls on both alike; the table shows each side's median time per item and
ratio = processing throughput / multiprocessing throughput (multiprocessing median /
processing median).

A row whose processing name is not defined (yet) is shown as skipped, and a row whose
objects fail is shown with its error: the script always prints the whole table and exits 0.

Targets: 0.9 for SharedArray's item access (0.95 for the objects that wrap multiprocessing's
own: Value, Array, PipeQueue, manager proxies). Unlocked integer writes to a SharedArray check
each value's range (ctypes, under a raw multiprocessing.Array, silently wraps 300 to 44 in a
'B' item); that check is in C where the optional extension processing._speedups was built.
Without it the check is a Python ``__setitem__`` at about 0.5x, and that row fails its target.

It is a report, not a test: the exit status is 0 whether the targets are met or not.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import processing  # type: ignore[import-not-found, unused-ignore]
from tables import markdown

ITEMS = 100_000
TARGET = 0.9
#: The target of objects that wrap multiprocessing's own (a thin layer should cost ~nothing).
WRAPPER_TARGET = 0.95
COLUMNS = (
    "benchmark",
    "processing median",
    "multiprocessing median",
    "ratio",
    "target",
    "result",
)

#: Makes one side's object for ``count`` items; cleanups go on the ExitStack.
Maker = Callable[[contextlib.ExitStack, int], Any]


class Missing(Exception):
    """The processing name a benchmark needs is not defined (yet)."""


def processing_name(name: str) -> Any:
    """``processing.<name>``, or Missing if this checkout does not define it (yet)."""
    try:
        return getattr(processing, name)
    except (AttributeError, ImportError) as error:
        raise Missing(f"processing.{name} is not defined ({error})") from None


# -- loops: the same code times both sides -------------------------------------------------


def read_items(array: Any, count: int) -> None:
    for index in range(count):
        array[index]


def write_items(array: Any, count: int) -> None:
    for index in range(count):
        array[index] = 1


def read_values(value: Any, count: int) -> None:
    for _ in range(count):
        _ = value.value


def write_values(value: Any, count: int) -> None:
    for index in range(count):
        value.value = index


def put_then_get(queue: Any, count: int) -> None:
    for index in range(count):
        queue.put(index)
    for _ in range(count):
        queue.get()


# -- makers ----------------------------------------------------------------------------------


def shared_array(format: str, lock: bool) -> tuple[Maker, Maker]:
    def ours(stack: contextlib.ExitStack, count: int) -> Any:
        return processing_name("SharedArray")(format, count, lock=lock)

    def theirs(stack: contextlib.ExitStack, count: int) -> Any:
        return multiprocessing.Array(format, count, lock=lock)

    return ours, theirs


def value_pair(format: str) -> tuple[Maker, Maker]:
    def ours(stack: contextlib.ExitStack, count: int) -> Any:
        return processing_name("Value")(format, 0)

    def theirs(stack: contextlib.ExitStack, count: int) -> Any:
        return multiprocessing.Value(format, 0)

    return ours, theirs


def array_pair(format: str) -> tuple[Maker, Maker]:
    def ours(stack: contextlib.ExitStack, count: int) -> Any:
        return processing_name("Array")(format, count)

    def theirs(stack: contextlib.ExitStack, count: int) -> Any:
        return multiprocessing.Array(format, count)

    return ours, theirs


def _closed_at_exit(stack: contextlib.ExitStack, queue: Any) -> Any:
    def close() -> None:
        queue.close()
        queue.join_thread()

    stack.callback(close)
    return queue


def queue_pair() -> tuple[Maker, Maker]:
    def ours(stack: contextlib.ExitStack, count: int) -> Any:
        return _closed_at_exit(stack, processing_name("PipeQueue")())

    def theirs(stack: contextlib.ExitStack, count: int) -> Any:
        return _closed_at_exit(stack, multiprocessing.Queue())

    return ours, theirs


def manager_list_pair() -> tuple[Maker, Maker]:
    def ours(stack: contextlib.ExitStack, count: int) -> Any:
        manager = processing_name("Manager")()
        stack.callback(manager.shutdown)
        return manager.list([0] * count)

    def theirs(stack: contextlib.ExitStack, count: int) -> Any:
        manager = multiprocessing.Manager()
        stack.callback(manager.shutdown)
        return manager.list([0] * count)

    return ours, theirs


@dataclass(frozen=True)
class Case:
    """One comparison: the same loop over a processing object and its multiprocessing twin."""

    title: str
    makers: tuple[Maker, Maker]
    loop: Callable[[Any, int], None]
    count: int
    quick_count: int
    target: float = TARGET
    repeat: int = 21


CASES = (
    Case(
        "SharedArray read a[i], 'd', lock=False", shared_array("d", False), read_items, ITEMS, ITEMS
    ),
    Case(
        "SharedArray write a[i] = x, 'd', lock=False",
        shared_array("d", False),
        write_items,
        ITEMS,
        ITEMS,
    ),
    Case(
        "SharedArray read a[i], 'd', lock=True", shared_array("d", True), read_items, ITEMS, 20_000
    ),
    Case(
        "SharedArray write a[i] = x, 'd', lock=True",
        shared_array("d", True),
        write_items,
        ITEMS,
        20_000,
    ),
    Case(
        "SharedArray read a[i], 'i', lock=True", shared_array("i", True), read_items, ITEMS, 20_000
    ),
    Case(
        "SharedArray write a[i] = x, 'i', lock=True",
        shared_array("i", True),
        write_items,
        ITEMS,
        20_000,
    ),
    Case(
        "SharedArray read a[i], 'i', lock=False", shared_array("i", False), read_items, ITEMS, ITEMS
    ),
    Case(
        "SharedArray write a[i] = x, 'i', lock=False (range-checked; ctypes wraps)",
        shared_array("i", False),
        write_items,
        ITEMS,
        ITEMS,
    ),
    Case(
        "Value read v.value, 'i'",
        value_pair("i"),
        read_values,
        50_000,
        10_000,
        target=WRAPPER_TARGET,
    ),
    Case(
        "Value write v.value = x, 'i'",
        value_pair("i"),
        write_values,
        50_000,
        10_000,
        target=WRAPPER_TARGET,
    ),
    Case(
        "Array read a[i], 'i'", array_pair("i"), read_items, 50_000, 10_000, target=WRAPPER_TARGET
    ),
    Case(
        "Array write a[i] = x, 'i'",
        array_pair("i"),
        write_items,
        50_000,
        10_000,
        target=WRAPPER_TARGET,
    ),
    Case(
        "PipeQueue vs Queue: put() then get(), small items",
        queue_pair(),
        put_then_get,
        10_000,
        1_000,
        repeat=11,
        target=WRAPPER_TARGET,
    ),
    Case(
        "Manager().list() proxy read l[i]",
        manager_list_pair(),
        read_items,
        1_000,
        100,
        repeat=11,
        target=WRAPPER_TARGET,
    ),
    Case(
        "Manager().list() proxy write l[i] = x",
        manager_list_pair(),
        write_items,
        1_000,
        100,
        repeat=11,
        target=WRAPPER_TARGET,
    ),
)


def time_per_item(loop: Callable[[Any, int], None], target: Any, count: int) -> float:
    start = time.perf_counter()
    loop(target, count)
    return (time.perf_counter() - start) / count


def measure(case: Case, count: int, repeat: int) -> tuple[float, float]:
    """Median seconds per item of (processing, multiprocessing), interleaved."""
    with contextlib.ExitStack() as stack:
        sides = [make(stack, count) for make in case.makers]
        for side in sides:
            case.loop(side, count)  # warm-up
        times: list[list[float]] = [[], []]
        for round_ in range(repeat):
            order = (0, 1) if round_ % 2 == 0 else (1, 0)
            for index in order:
                times[index].append(time_per_item(case.loop, sides[index], count))
    return statistics.median(times[0]), statistics.median(times[1])


def per_item(seconds: float) -> str:
    return f"{seconds * 1e9:.1f} ns/item" if seconds < 1e-6 else f"{seconds * 1e6:.1f} µs/item"


def row(case: Case, quick: bool) -> dict[str, str]:
    """The case's row: medians, ratio, target and PASS/FAIL, or why it has no numbers."""
    target = f">= {case.target}"

    def without_numbers(why: str) -> dict[str, str]:
        return dict(zip(COLUMNS, (case.title, "-", "-", "-", target, why), strict=True))

    try:
        ours, theirs = measure(
            case, case.quick_count if quick else case.count, 7 if quick else case.repeat
        )
    except Missing as missing:
        return without_numbers(f"skipped: {missing}")
    except Exception as error:  # a report must not stop at one broken side
        return without_numbers(f"ERROR: {type(error).__name__}: {error}")
    ratio = theirs / ours
    verdict = "PASS" if ratio >= case.target else "FAIL"
    values = (case.title, per_item(ours), per_item(theirs), f"{ratio:.2f}", target, verdict)
    return dict(zip(COLUMNS, values, strict=True))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="few repetitions: a smoke run")
    options = parser.parse_args(argv)
    started = time.perf_counter()
    table = [row(case, options.quick) for case in CASES]
    print(
        f"processing against multiprocessing, Python {sys.version.split()[0]}, one process, "
        "ratio = processing throughput / multiprocessing throughput\n"
    )
    print(markdown(COLUMNS, table))
    print(f"\n({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
