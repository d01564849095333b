# expect: PR006
import sys
from multiprocessing import Pool, freeze_support

SCALE = 1


def work(x):
    return x * SCALE


if __name__ == "__main__":
    freeze_support()
    SCALE = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    with Pool(2) as pool:
        print(pool.map(work, range(3)))
