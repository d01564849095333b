# expect: none
# A threading lock shared by threads, next to a process that is given no lock.
import threading
from multiprocessing import Process

LOCK = threading.Lock()
counter = [0]


def bump():
    with LOCK:
        counter[0] += 1


def child(n):
    print("child", n)


def main():
    threads = [threading.Thread(target=bump) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    p = Process(target=child, args=(counter[0],))
    p.start()
    p.join()
