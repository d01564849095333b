# An unguarded Pool whose worker reads a list computed at the top level.
# Run it as `procrun --start-method spawn examples/pool.py 8`: the top-level print runs
# once, and each worker gets WEIGHTS as fork would have given it.
import sys
from multiprocessing import Pool


def load_weights(n):
    return [1 / (i + 1) for i in range(n)]


N = int(sys.argv[1]) if len(sys.argv) > 1 else 8
WEIGHTS = load_weights(N)
print(f"weighting {N} items with 4 workers")


def weigh(i):
    return round(i * WEIGHTS[i], 3)


with Pool(4) as pool:
    print(pool.map(weigh, range(N)))
