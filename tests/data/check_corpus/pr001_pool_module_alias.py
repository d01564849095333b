# expect: PR001
import multiprocessing as mp


def square(x):
    return x * x


with mp.Pool(2) as pool:
    print(pool.map(square, range(5)))
