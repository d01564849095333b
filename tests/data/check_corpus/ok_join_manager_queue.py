# expect: none
# A manager's queue lives in the manager process: the child does not wait for a reader.
# A task queue the child only reads, and a join with a timeout, cannot deadlock either.
import multiprocessing


def produce(q):
    q.put(list(range(100_000)))


def consume(tasks):
    while tasks.get() is not None:
        pass


def main():
    with multiprocessing.Manager() as manager:
        q = manager.Queue()
        p = multiprocessing.Process(target=produce, args=(q,))
        p.start()
        p.join()
        print(len(q.get()))
    tasks = multiprocessing.Queue()
    c = multiprocessing.Process(target=consume, args=(tasks,))
    c.start()
    tasks.put(None)
    c.join(5)
    tasks.get_nowait() if not tasks.empty() else None
