"""A 50 MiB global read by loky workers, guarded (run with plain ``python``).

``work`` lives in ``__main__``, so loky's cloudpickle pickles it by value, together with the
globals it reads: DATA travels with every call item, that is with every chunk of tasks.
Usage: ``python big_global_loky.py [CHUNKSIZE]`` (default 1, loky's default). Times
executor creation through the results of ``executor.map(work, range(TASKS))``; prints seconds.
"""

import sys
import time

from loky import get_reusable_executor

SIZE = 50 * 2**20
TASKS = 200


def make_data(size: int) -> bytes:
    return bytes(range(256)) * (size // 256)


def work(x: int) -> int:
    return len(DATA) + x


if __name__ == "__main__":
    chunksize = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    DATA = make_data(SIZE)
    start = time.perf_counter()
    executor = get_reusable_executor(max_workers=2)
    results = list(executor.map(work, range(TASKS), chunksize=chunksize))
    elapsed = time.perf_counter() - start
    executor.shutdown(wait=True)
    assert results == [SIZE + x for x in range(TASKS)]
    print(elapsed)
