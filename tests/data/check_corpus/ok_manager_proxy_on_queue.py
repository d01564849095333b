# expect: none
# Proxies may go anywhere; multiprocessing primitives go to Process (inheritance).
import multiprocessing as mp


def worker(q, lock):
    with q.get(), lock:
        print("both held")


def main():
    with mp.Manager() as manager:
        q = mp.Queue()
        lock = mp.Lock()
        p = mp.Process(target=worker, args=(q, lock))
        p.start()
        q.put(manager.Lock())
        p.join()
