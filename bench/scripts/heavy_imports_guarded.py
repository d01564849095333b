"""heavy_imports_unguarded.py for plain ``python``: the same under ``if __name__ ==
"__main__":``, with the start method given as the second argument (forkserver, fork)."""

import multiprocessing
import sys
import time

import numpy as np
import pandas as pd


def work(n: int) -> int:
    frame = pd.DataFrame({"x": np.arange(n)})
    return int(frame["x"].sum())


if __name__ == "__main__":
    multiprocessing.set_start_method(sys.argv[2])
    started = time.perf_counter()
    with multiprocessing.Pool(2) as pool:
        first = next(pool.imap(work, [10]))
        waited = time.perf_counter() - started
        rest = pool.map(work, [10] * 4)
    print(first, sum(rest))
    if sys.argv[1] == "first":
        print(waited)
