# expect: PR007
import threading
from multiprocessing import Manager, freeze_support


def add(d, i):
    d[i] = i * i


if __name__ == "__main__":
    freeze_support()
    with Manager() as m:
        d = m.dict()
        ts = [threading.Thread(target=add, args=(d, i)) for i in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        print(sorted(d.items()))
