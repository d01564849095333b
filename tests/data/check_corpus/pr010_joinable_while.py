# expect: PR010
import multiprocessing as mp


def consume(tasks):
    while True:
        item = tasks.get()
        tasks.task_done()
        if item is None:
            break


def run(items, size):
    tasks = mp.JoinableQueue(size)
    pending = list(items)
    while pending:
        tasks.put(pending.pop())
    workers = [mp.Process(target=consume, args=(tasks,)) for _ in range(2)]
    for w in workers:
        w.start()
