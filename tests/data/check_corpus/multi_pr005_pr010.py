# expect: PR005 PR010
from multiprocessing import Process, Queue, freeze_support


def square_all(tasks, results):
    for x in iter(tasks.get, None):
        results.put(x * x)


if __name__ == "__main__":
    freeze_support()
    tasks, results = Queue(4), Queue()
    for i in range(50):
        tasks.put(i)
    tasks.put(None)
    p = Process(target=square_all, args=(tasks, results))
    p.start()
    p.join()
    print(sum(results.get() for _ in range(50)))
