# expect: none
# Threads do not pickle their targets: lambdas and closures are fine there.
import threading
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.pool import ThreadPool


def main():
    k = 3
    t = threading.Thread(target=lambda: print(k))
    t.start()
    t.join()
    with ThreadPoolExecutor() as ex:
        print(list(ex.map(lambda x: x * k, range(3))))
    with ThreadPool(2) as pool:
        print(pool.map(lambda x: x + k, range(3)))
