# expect: none
# A class used at import time whose methods start nothing: building a lookup table.
import multiprocessing


class Table:
    def __init__(self, size):
        self.rows = list(range(size))

    def workers(self):
        return min(len(self.rows), multiprocessing.cpu_count())


TABLE = Table(8)
WORKERS = TABLE.workers()
