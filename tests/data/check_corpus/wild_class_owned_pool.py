# expect: PR003
import multiprocessing


def _normalise(item):
    return item.strip().lower()


class Pipeline:
    def __init__(self, workers=2):
        self.pool = multiprocessing.Pool(workers)

    def clean(self, items):
        return self.pool.map(_normalise, items)

    def lengths(self, items):
        return self.pool.map(lambda item: len(item), items)

    def close(self):
        self.pool.close()
        self.pool.join()
