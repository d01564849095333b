# expect: none
# The same class as a method-started script, but run under the main guard.
from multiprocessing import Pool


def measure(size):
    return size * 2


class Survey:
    def __init__(self, sizes):
        self.sizes = sizes

    def run(self):
        with Pool(2) as pool:
            print(pool.map(measure, self.sizes))


if __name__ == "__main__":
    Survey([1, 2, 3]).run()
