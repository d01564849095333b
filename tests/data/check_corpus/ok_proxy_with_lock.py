# expect: none
# Several threads share one proxy, but every use holds a lock; one thread alone is fine too.
import threading
from multiprocessing import Manager


def add(d, lock, i):
    with lock:
        d[i] = i


def solo(d):
    d["solo"] = True


def main():
    with Manager() as m:
        d = m.dict()
        lock = threading.Lock()
        ts = [threading.Thread(target=add, args=(d, lock, i)) for i in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        other = m.dict()
        t = threading.Thread(target=solo, args=(other,))
        t.start()
        t.join()
