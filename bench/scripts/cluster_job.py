# bench/cluster.py's job, unguarded, run by `procrun` locally and by `procrun --cluster ENGINE`:
# Pool.map of CPU-bound tasks of about TASK_MS each (a fixed count of loop turns, measured
# once by the main block and copied into the workers as a global), then Pool.map of empty
# tasks, one a task (chunksize=1), for the per-task overhead. Prints one JSON line of timings
# (seconds). With ray-pool (and no --cluster), Ray's own ray.util.multiprocessing.Pool is timed
# instead.
import json
import sys
import time
from multiprocessing import Pool
from typing import Any

TASKS, TASK_MS, EMPTY, ROUNDS = (int(value) for value in sys.argv[1:5])
RAY_POOL = len(sys.argv) > 5 and sys.argv[5] == "ray-pool"


def spin(turns: int) -> int:
    total = 0
    for i in range(turns):
        total += i * i % 7
    return total


def calibrate() -> int:
    turns = 200_000
    while True:
        started = time.perf_counter()
        spin(turns)
        elapsed = time.perf_counter() - started
        if elapsed > 0.2:
            return int(turns * TASK_MS / 1000 / elapsed)
        turns *= 2


TURNS = calibrate()


def task(_: int) -> int:
    return spin(TURNS)


def empty(x: int) -> int:
    return x


def measure(pool: Any) -> dict[str, Any]:
    started = time.perf_counter()
    pool.map(empty, [0])
    first = time.perf_counter() - started
    maps: list[float] = []
    empties: list[float] = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        pool.map(task, range(TASKS))
        maps.append(time.perf_counter() - started)
        started = time.perf_counter()
        pool.map(empty, range(EMPTY), chunksize=1)  # a task an item
        empties.append(time.perf_counter() - started)
    return {"first": first, "map": maps, "empty": empties}


if RAY_POOL:  # Ray's own multiprocessing Pool, which starts a local Ray as well
    from ray.util.multiprocessing import Pool as RayPool

    Pool = RayPool  # type: ignore[assignment, misc, unused-ignore]
started = time.perf_counter()
with Pool(2) as pool:  # on --cluster, the engine starts here
    timings = {"start": time.perf_counter() - started, **measure(pool)}
print(json.dumps(timings))
