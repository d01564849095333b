"""Pool.map of 200,000 tiny tasks, unguarded (run with ``procrun -s spawn``).

Pool(2), both workers up before timing; times MAPS calls of ``pool.map(f, range(TASKS))``
(default chunksize) and prints the median in seconds.
"""

import multiprocessing as mp
import os
import statistics
import time

TASKS = 200_000
MAPS = 10


def f(x: int) -> int:
    return x + 1


def warm(_: int) -> int:
    time.sleep(0.05)
    return os.getpid()


pool = mp.Pool(2)
while len(set(pool.map(warm, range(2), chunksize=1))) < 2:  # until both workers answer
    pass
times: list[float] = []
for _ in range(MAPS):
    start = time.perf_counter()
    results = pool.map(f, range(TASKS))
    times.append(time.perf_counter() - start)
    assert results[0] == 1 and results[-1] == TASKS and len(results) == TASKS
pool.close()
pool.join()
print(statistics.median(times))
