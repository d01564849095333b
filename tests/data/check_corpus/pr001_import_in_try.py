# expect: PR001
# The import sits in a try with a fallback: the usual path still starts a pool at import.
try:
    import multiprocessing as mp
except ImportError:
    mp = None


def double(x):
    return 2 * x


with mp.Pool(2) as pool:
    print(pool.map(double, [1, 2, 3]))
