# expect: PR001
# The script's work lives in a class, and the last line runs it at import time: every spawned
# child imports the script and runs it again.
from multiprocessing import Pool


def measure(size):
    return size * 2


class Survey:
    def __init__(self, sizes):
        self.sizes = sizes

    def collect(self):
        with Pool(2) as pool:
            return pool.map(measure, self.sizes)

    def run(self):
        print(self.collect())


Survey([1, 2, 3]).run()
