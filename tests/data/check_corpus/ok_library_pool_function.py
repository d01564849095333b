# expect: none
# A library module: the pool is created only when a caller asks for it.
from multiprocessing import Pool


def square(x):
    return x * x


def squares(n):
    with Pool() as pool:
        return pool.map(square, range(n))
