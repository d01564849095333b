# expect: PR008
from multiprocessing import Lock, Process, Queue


def worker(q):
    lock = q.get()
    with lock:
        print("locked")


def main():
    q = Queue()
    lock = Lock()
    p = Process(target=worker, args=(q,))
    p.start()
    q.put(lock)
    p.join()
