# expect: none
# multiprocessing.dummy and processing.dummy are threads: nothing to re-run in a child.
from multiprocessing.dummy import Pool as ThreadPool

import processing.dummy


def double(x):
    return 2 * x


with ThreadPool(2) as pool:
    print(pool.map(double, range(3)))
t = processing.dummy.Process(target=double, args=(1,))
t.start()
t.join()
