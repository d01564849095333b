# expect: none
# Building a Process object at import time starts nothing; the start is guarded.
import multiprocessing


def hello():
    print("hello")


worker = multiprocessing.Process(target=hello)

if __name__ == "__main__":
    multiprocessing.freeze_support()
    worker.start()
    worker.join()
