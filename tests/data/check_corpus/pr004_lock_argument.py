# expect: PR004
import threading
from multiprocessing import Process, freeze_support


def work(lock, n):
    with lock:
        print("working", n)


if __name__ == "__main__":
    freeze_support()
    lock = threading.Lock()
    procs = [Process(target=work, args=(lock, i)) for i in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
