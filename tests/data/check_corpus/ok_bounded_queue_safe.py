# expect: none
# Consumers first; or few enough items; or a queue whose put() never blocks.
import multiprocessing as mp

import processing


def consume(q):
    while q.get() is not None:
        pass


def consumers_first():
    q = mp.Queue(maxsize=10)
    p = mp.Process(target=consume, args=(q,))
    p.start()
    for i in range(100):
        q.put(i)
    q.put(None)
    p.join()


def fits():
    q = mp.Queue(10)
    for i in range(5):
        q.put(i)
    return q


def buffered():
    q = processing.BufferedQueue()
    for i in range(1000):
        q.put(i)
    return q


def non_blocking():
    q = mp.Queue(2)
    for i in range(10):
        q.put_nowait(i)
