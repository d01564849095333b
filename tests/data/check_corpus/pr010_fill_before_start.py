# expect: PR010
from multiprocessing import Process, Queue


def work(q):
    while q.get() is not None:
        pass


def main():
    q = Queue(maxsize=10)
    for i in range(100):
        q.put(i)
    q.put(None)
    p = Process(target=work, args=(q,))
    p.start()
    p.join()
