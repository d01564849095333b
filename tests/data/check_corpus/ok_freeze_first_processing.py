# expect: none
from processing import Process, freezeSupport


def foo():
    print("hello")


if __name__ == "__main__":
    freezeSupport()
    p = Process(target=foo)
    p.start()
    p.join()
