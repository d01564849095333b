# expect: none
# A guarded script that is never frozen: freeze_support() would do nothing here, so its
# absence is no finding (nothing in the file or the project freezes it).
from multiprocessing import Pool


def square(x):
    return x * x


if __name__ == "__main__":
    with Pool(2) as pool:
        print(pool.map(square, range(4)))
