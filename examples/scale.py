# An unguarded script to scale out: count the primes below LIMIT in blocks, with a Pool and
# with a ProcessPoolExecutor. The workers read SMALL_PRIMES, a global the main process
# computes first. Run it on this machine (`procrun -s spawn examples/scale.py`), or, with no
# change, on a local Ray or Dask cluster: `procrun --cluster ray examples/scale.py`
# (`pip install 'procrun[ray]'` first) or `procrun --cluster dask examples/scale.py`.
import math
import sys
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import Pool

LIMIT = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
BLOCK = 20_000


def sieve(n):
    flags = bytearray([1]) * (n + 1)
    flags[:2] = b"\0\0"
    for i in range(2, math.isqrt(n) + 1):
        if flags[i]:
            flags[i * i :: i] = bytearray(len(flags[i * i :: i]))
    return [i for i, flag in enumerate(flags) if flag]


SMALL_PRIMES = sieve(math.isqrt(LIMIT))
print(f"{len(SMALL_PRIMES)} small primes; counting below {LIMIT:,} in blocks of {BLOCK:,}")


def count_primes(start):
    stop = min(start + BLOCK, LIMIT)
    flags = bytearray([1]) * (stop - start)
    for p in SMALL_PRIMES:
        first = max(p * p, (start + p - 1) // p * p)
        flags[first - start :: p] = bytearray(len(flags[first - start :: p]))
    return sum(flags[max(0, 2 - start) :])


starts = range(0, LIMIT, BLOCK)
with Pool(4) as pool:
    print("Pool.map:", sum(pool.map(count_primes, starts)))
    print("Pool.imap_unordered:", sum(pool.imap_unordered(count_primes, starts)))
with ProcessPoolExecutor(4) as executor:
    print("ProcessPoolExecutor.map:", sum(executor.map(count_primes, starts)))
