"""A 50 MiB global read by Pool workers, unguarded (run with ``procrun -s spawn``).

DATA is built by a call at top level, an action: it is made once, in the parent, and procrun
copies it into each worker when the worker starts. Times Pool(2) creation through the
results of ``pool.map(work, range(TASKS))`` (default chunksize) and prints seconds.
"""

import multiprocessing as mp
import time

SIZE = 50 * 2**20
TASKS = 200


def make_data(size: int) -> bytes:
    return bytes(range(256)) * (size // 256)


def work(x: int) -> int:
    return len(DATA) + x


DATA = make_data(SIZE)
start = time.perf_counter()
pool = mp.Pool(2)
results = pool.map(work, range(TASKS))
elapsed = time.perf_counter() - start
pool.close()
pool.join()
assert results == [SIZE + x for x in range(TASKS)]
print(elapsed)
