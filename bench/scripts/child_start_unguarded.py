"""Child start, unguarded (run with ``procrun -s spawn``).

Times ``Process.start()`` up to the first message the child sends back through a Queue,
for STARTS children one after another; prints the median in seconds.
"""

from __future__ import annotations

import multiprocessing as mp
import statistics
import time
from multiprocessing.queues import Queue

STARTS = 10


def child(queue: Queue[str]) -> None:
    queue.put("ready")


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
