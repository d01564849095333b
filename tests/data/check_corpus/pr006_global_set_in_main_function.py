# expect: PR006
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import freeze_support

DATA = None


def total(i):
    return sum(DATA) + i


def main():
    global DATA
    DATA = list(range(1000))
    with ProcessPoolExecutor(2) as ex:
        print(list(ex.map(total, range(3))))


if __name__ == "__main__":
    freeze_support()
    main()
