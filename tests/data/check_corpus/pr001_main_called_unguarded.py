# expect: PR001
# main() starts a pool, and is called at import time.
from multiprocessing import Pool


def work(x):
    return x + 1


def run_pool():
    with Pool(2) as pool:
        return pool.map(work, range(3))


def main():
    print(run_pool())


main()
