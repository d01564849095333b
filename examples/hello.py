# The programming guidelines' "safe importing" example, in Python 3 and without the
# `if __name__ == "__main__":` guard they ask for. Under spawn (Windows, macOS) or
# forkserver (Linux from Python 3.14) plain `python hello.py` fails; `procrun hello.py` works.
from multiprocessing import Process


def foo():
    print("hello")


p = Process(target=foo)
p.start()
