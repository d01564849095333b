# expect: none
# The child's target declares a global and assigns it before any read, so the value the
# main process gives the same name after the start never matters to the child.
from multiprocessing import Process, Queue, freeze_support

total = 0


def count(results):
    global total
    total = 0
    for step in range(1000):
        total += step
    results.put(total)


if __name__ == "__main__":
    freeze_support()
    results = Queue()
    worker = Process(target=count, args=(results,))
    worker.start()
    total = results.get()
    worker.join()
    print(total)
