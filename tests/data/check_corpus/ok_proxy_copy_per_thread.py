# expect: none
import copy
import threading
from multiprocessing import Manager


def add(d, i):
    d[i] = i * i


def main():
    with Manager() as m:
        d = m.dict()
        ts = [threading.Thread(target=add, args=(copy.copy(d), i)) for i in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        return dict(d)
