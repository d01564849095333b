"""processing's queues against multiprocessing.Queue, side by side, in one run.

    .venv/bin/python bench/runtime_queues.py           # about 40 s
    .venv/bin/python bench/runtime_queues.py --quick   # about 10 s

Throughput from a producer process to its parent, under the default start method, in
rounds of 5,000 small tuples and of 20 items of 1 MiB. One producer serves a processing
Queue, a processing BufferedQueue and two multiprocessing Queues in turn, the order rotating
each round, so that the sides are interleaved and meet the same machine; many producers,
each with new queues, make the samples. The clock runs from the parent's order to put until
it has got the last item. Each row compares the median throughput of a processing queue
with the median of both multiprocessing Queues' samples. The control row compares the two
multiprocessing Queues: identical queues, so its distance from 1 is the noise of the run (on
a shared two-core machine one round can run 20% faster or slower than the next).

The last row times ``join()`` of children that have already ended, with the join watch
(``watch_start`` and ``watch_join``) and without: the common path it must leave as it was.

``rows(quick)`` returns the table as data (for bench/run.py); the script prints it as
markdown. It is a report: the exit status is 0 whether targets are met or not.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import time
from importlib import import_module
from multiprocessing import connection
from multiprocessing import queues as mp_queues
from multiprocessing.process import BaseProcess
from typing import Any

# `processing` is the runtime/ folder installed under that name, which mypy cannot follow
queues: Any = import_module("processing.queues")

SMALL_ITEMS = 5_000  # a round
BIG_ITEMS = 20  # a round
BIG_SIZE = 1 << 20
PRODUCERS, ROUNDS = 8, 10  # samples per side: PRODUCERS * ROUNDS
QUICK_PRODUCERS, QUICK_ROUNDS = 2, 5
CONTROL = "multiprocessing Queue 2"
TARGET = 0.95  # processing throughput / multiprocessing throughput, at least
JOINS = 20  # children joined per sample
JOIN_OVERHEAD_US = 2.0  # watched join() - plain join() of an ended child, at most

SIDES = {
    "processing Queue": lambda ctx: queues.Queue(ctx=ctx),
    "processing BufferedQueue": lambda ctx: queues.BufferedQueue(ctx),
    "multiprocessing Queue": lambda ctx: mp_queues.Queue(ctx=ctx),
    CONTROL: lambda ctx: mp_queues.Queue(ctx=ctx),
}
BASELINE = "multiprocessing Queue"


def produce(sides: list[Any], orders: Any, size: int) -> None:
    """The producer: put ``count`` items on side ``index`` for each order, until None."""
    item = bytes(size)
    for side in sides:
        side.put("ready")  # starts each queue's feeder thread, untimed
    while (order := orders.recv()) is not None:
        index, count = order
        put = sides[index].put
        if size:
            for _ in range(count):
                put(item)
        else:
            for i in range(count):
                put((i, "task", 2.5))


def throughputs(count: int, size: int, rounds: int) -> dict[str, list[float]]:
    """Items per second through each side, ``rounds`` times, from one new producer."""
    ctx = multiprocessing.get_context()
    names = list(SIDES)
    sides = [SIDES[name](ctx) for name in names]
    orders, theirs = ctx.Pipe()
    producer = ctx.Process(target=produce, args=(sides, theirs, size))
    producer.start()
    for side in sides:
        if side.get(timeout=60) != "ready":
            raise RuntimeError("the producer did not start")
    samples: dict[str, list[float]] = {name: [] for name in names}
    for run in range(rounds):
        for index in [*range(run % len(sides), len(sides)), *range(run % len(sides))]:
            get = sides[index].get
            started = time.perf_counter()
            orders.send((index, count))
            for _ in range(count):
                get()
            samples[names[index]].append(count / (time.perf_counter() - started))
    orders.send(None)
    producer.join(60)
    return samples


def end_at_once() -> None:
    """A child that ends as soon as it starts."""


def join_seconds(start: Any, join: Any, count: int) -> float:
    """Seconds per ``join(child)`` of ``count`` children that have all ended."""
    ctx = multiprocessing.get_context()
    children = [ctx.Process(target=end_at_once) for _ in range(count)]
    for child in children:
        start(child)
    for child in children:
        connection.wait([child.sentinel], 60)
    time.sleep(0.01)
    started = time.perf_counter()
    for child in children:
        join(child)
    return (time.perf_counter() - started) / count


def rows(quick: bool) -> list[dict[str, str]]:
    """The benchmark table: one dict per row (benchmark, medians, ratio, target, result)."""
    producers, rounds = (QUICK_PRODUCERS, QUICK_ROUNDS) if quick else (PRODUCERS, ROUNDS)
    table = []
    for label, count, size, unit, scale in (
        (f"small tuples, rounds of {SMALL_ITEMS:,}", SMALL_ITEMS, 0, "items/s", 1.0),
        (f"1 MiB items, rounds of {BIG_ITEMS}", BIG_ITEMS, BIG_SIZE, "MiB/s", BIG_SIZE / (1 << 20)),
    ):
        samples: dict[str, list[float]] = {name: [] for name in SIDES}
        for _ in range(producers):
            for name, values in throughputs(count, size, rounds).items():
                samples[name] += [value * scale for value in values]
        # processing against both multiprocessing queues' samples; the two against each other
        baseline = statistics.median(samples[BASELINE] + samples[CONTROL])
        for name in SIDES:
            if name not in (BASELINE, CONTROL):
                median = statistics.median(samples[name])
                table.append(_row(f"{name}: {label}", median, baseline, unit, median / baseline))
        first, second = (statistics.median(samples[name]) for name in (BASELINE, CONTROL))
        row = _row(
            f"control, multiprocessing Queue 2 vs 1: {label}", second, first, unit, second / first
        )
        table.append({**row, "target": "noise: distance from 1", "result": "-"})

    plain_start: Any = BaseProcess.start
    plain_join: Any = BaseProcess.join
    watched_start = queues.watch_start(plain_start)
    watched_join = queues.watch_join(plain_join)
    plain, watched = [], []
    for _ in range(producers * 2):
        plain.append(join_seconds(plain_start, plain_join, JOINS))
        watched.append(join_seconds(watched_start, watched_join, JOINS))
    plain_us, watched_us = 1e6 * statistics.median(plain), 1e6 * statistics.median(watched)
    table.append(
        _row(
            f"join() of an ended child, join watch installed ({JOINS} children a sample)",
            watched_us,
            plain_us,
            "µs",
            plain_us / watched_us,  # joins per second, as the throughputs above
            f"overhead <= {JOIN_OVERHEAD_US:g} µs",
            watched_us - plain_us <= JOIN_OVERHEAD_US,
        )
    )
    return table


def _row(
    name: str,
    value: float,
    baseline: float,
    unit: str,
    ratio: float,
    target: str = f"ratio >= {TARGET}",
    met: bool | None = None,
) -> dict[str, str]:
    return {
        "benchmark": name,
        "processing": f"{value:,.1f} {unit}",
        "multiprocessing": f"{baseline:,.1f} {unit}",
        "ratio": f"{ratio:.3f}",
        "target": target,
        "result": "PASS" if (ratio >= TARGET if met is None else met) else "FAIL",
    }


def markdown(table: list[dict[str, str]]) -> str:
    """The rows as a markdown table."""
    headers = ["benchmark", "processing median", "multiprocessing median", "ratio", "target", ""]
    lines = ["| " + " | ".join(headers) + " |", "|" + " --- |" * len(headers)]
    lines += ["| " + " | ".join(row.values()) + " |" for row in table]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="processing's queues against multiprocessing's")
    parser.add_argument("--quick", action="store_true", help="fewer samples: a smoke run")
    options = parser.parse_args(argv)
    started = time.monotonic()
    table = rows(options.quick)
    print(markdown(table))
    print(
        f"\nstart method {multiprocessing.get_start_method()}, Python "
        f"{sys.version.split()[0]}, {time.monotonic() - started:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
