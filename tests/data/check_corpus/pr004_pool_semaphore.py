# expect: PR004
import threading
from multiprocessing import Pool


def limited(sem, x):
    with sem:
        return x


def run(xs):
    sem = threading.BoundedSemaphore(2)
    with Pool(2) as pool:
        results = [pool.apply_async(limited, (sem, x)) for x in xs]
        return [r.get() for r in results]
