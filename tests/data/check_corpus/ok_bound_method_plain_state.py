# expect: none
# A bound method whose instance holds only plain data pickles fine.
from multiprocessing import Pool


class Scaler:
    def __init__(self, factor):
        self.factor = factor
        self.history = []

    def scale(self, value):
        return value * self.factor

    def run(self, values):
        with Pool(2) as pool:
            return pool.map(self.scale, values)


if __name__ == "__main__":
    print(Scaler(3).run([1, 2, 3]))
