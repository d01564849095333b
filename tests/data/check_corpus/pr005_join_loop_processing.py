# expect: PR005
import processing as pr


def worker(n, results):
    results.put([n] * 10_000)


def collect(count):
    results = pr.Queue()
    workers = [pr.Process(target=worker, args=(i, results)) for i in range(count)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return [results.get() for _ in range(count)]
