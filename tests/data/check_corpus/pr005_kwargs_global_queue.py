# expect: PR005
import multiprocessing

OUT = multiprocessing.SimpleQueue()


def emit(count):
    for i in range(count):
        OUT.put(i)


def main():
    p = multiprocessing.Process(target=emit, kwargs={"count": 100_000})
    p.start()
    p.join()
    while not OUT.empty():
        OUT.get()
