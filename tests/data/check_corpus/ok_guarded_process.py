# expect: none
from multiprocessing import Process, freeze_support


def foo():
    print("hello")


if __name__ == "__main__":
    freeze_support()
    p = Process(target=foo)
    p.start()
    p.join()
