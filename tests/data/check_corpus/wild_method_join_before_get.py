# expect: PR005
import multiprocessing as mp


def produce(q, i):
    q.put((i, [i] * 50_000))


class Runner:
    def __init__(self, count):
        self.count = count

    def run(self):
        q = mp.Queue()
        procs = [mp.Process(target=produce, args=(q, i)) for i in range(self.count)]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
        return dict(q.get() for _ in procs)
