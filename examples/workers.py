# The programming guidelines' task queue and result queue, unguarded: the main process
# pushes 2,000 tasks on a BufferedQueue *before* any worker starts (its put() never blocks,
# whatever the consumers do), 4 worker processes take tasks until a 'STOP' sentinel, and the
# main process gets every result before it joins the workers, so nothing deadlocks.
# The queues reach the workers as Process arguments (inheritance), as the guidelines ask.
# Run it as `procrun -s spawn examples/workers.py` (or forkserver, or fork).
from multiprocessing import Process

from processing.queues import BufferedQueue, Queue

TASKS = 2000
WORKERS = 4


def square(n):
    return n * n


def worker(tasks, results):
    for n in iter(tasks.get, "STOP"):
        results.put((n, square(n)))


tasks = BufferedQueue()
results = Queue()
tasks.putMany(range(TASKS))
tasks.putMany(["STOP"] * WORKERS)

workers = [Process(target=worker, args=(tasks, results)) for _ in range(WORKERS)]
for w in workers:
    w.start()
done = dict(results.get() for _ in range(TASKS))
for w in workers:
    w.join()

print(f"{len(done)} tasks done by {WORKERS} workers")
print(f"sum of squares: {sum(done.values())}")
print(f"exit codes: {[w.exitcode for w in workers]}")
