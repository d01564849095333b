"""A script that imports numpy and pandas, then maps a few tasks with Pool(2): no guard,
for ``procrun``. Benchmark 7: ``first`` prints the seconds from ``Pool(2)`` to the first
result on its last line; ``wall`` prints only the results (timed from outside)."""

import sys
import time
from multiprocessing import Pool

import numpy as np
import pandas as pd


def work(n: int) -> int:
    frame = pd.DataFrame({"x": np.arange(n)})
    return int(frame["x"].sum())


started = time.perf_counter()
with Pool(2) as pool:
    first = next(pool.imap(work, [10]))
    waited = time.perf_counter() - started
    rest = pool.map(work, [10] * 4)
print(first, sum(rest))
if sys.argv[1:] == ["first"]:
    print(waited)
