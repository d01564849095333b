# expect: none
# freeze_support() opens main(), the guard's first and only statement.
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import freeze_support


def inc(x):
    return x + 1


def main():
    freeze_support()
    with ProcessPoolExecutor(2) as ex:
        print(list(ex.map(inc, range(3))))


if __name__ == "__main__":
    main()
