# expect: none
# Module-level constants are fine, and so is a global set by the pool's initializer.
import sys
from multiprocessing import Pool, freeze_support

LIMIT = 100
SHARED = None


def init(value):
    global SHARED
    SHARED = value


def work(x):
    return min(x * SHARED, LIMIT)


if __name__ == "__main__":
    freeze_support()
    factor = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    with Pool(2, initializer=init, initargs=(factor,)) as pool:
        print(pool.map(work, range(5)))
