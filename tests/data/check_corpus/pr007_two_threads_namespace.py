# expect: PR007
from threading import Thread
import multiprocessing.managers


def tick(ns):
    ns.count += 1


def main():
    manager = multiprocessing.managers.SyncManager()
    manager.start()
    ns = manager.Namespace()
    ns.count = 0
    a = Thread(target=tick, args=(ns,))
    b = Thread(target=tick, args=(ns,))
    a.start()
    b.start()
    a.join()
    b.join()
