"""Child start, guarded (run with plain ``python``): the same as child_start_unguarded.py,
under ``if __name__ == "__main__":`` with the spawn start method."""

from __future__ import annotations

import multiprocessing as mp
import statistics
import time
from multiprocessing.queues import Queue

STARTS = 10


def child(queue: Queue[str]) -> None:
    queue.put("ready")


if __name__ == "__main__":
    mp.set_start_method("spawn")
    queue: Queue[str] = mp.Queue()
    times: list[float] = []
    for _ in range(STARTS):
        process = mp.Process(target=child, args=(queue,))
        start = time.perf_counter()
        process.start()
        assert queue.get() == "ready"
        times.append(time.perf_counter() - start)
        process.join()
        assert process.exitcode == 0, process.exitcode
    print(statistics.median(times))
