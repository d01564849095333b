# expect: none
# A Process built only to show its attributes in a tutorial: it is never started, so its
# lambda target is never pickled.
import multiprocessing


def describe():
    worker = multiprocessing.Process(target=lambda: print("never runs"), name="demo")
    worker.daemon = True
    print(worker.name, worker.daemon, worker.is_alive())


if __name__ == "__main__":
    describe()
