# SharedValue, SharedStruct and SharedArray: memory described by struct formats, updated by
# four processes under each object's lock. No `if __name__ == "__main__":` guard: run it as
# `procrun --start-method spawn examples/shared.py` (or forkserver, or fork); it prints the
# same lines every time. The shared objects go to the children as Process arguments: they are
# shared by inheritance only, never through a Queue or a Pipe.
from processing import Process, SharedArray, SharedStruct, SharedValue

WORKERS = 4
ROUNDS = 1000


def work(worker, counter, totals, squares):
    for _ in range(ROUNDS):
        with counter.get_lock():  # += reads, then writes: only the lock makes it atomic
            counter.value += 1
    with totals.get_lock():
        rounds, finished = totals.value
        totals.value = (rounds + ROUNDS, finished + 1)
    with squares.get_lock():
        squares[worker] = worker * worker
        squares[WORKERS] += worker


counter = SharedValue("i", 0)
totals = SharedStruct("qi", (0, 0))  # rounds run, workers finished
squares = SharedArray("d", [0.0] * (WORKERS + 1))  # one item per worker, and their sum

workers = [Process(target=work, args=(w, counter, totals, squares)) for w in range(WORKERS)]
for process in workers:
    process.start()
for process in workers:
    process.join()

print(counter)  # SharedValue('i', 4000)
print(totals)  # SharedStruct('qi', (4000, 4))
print(squares)  # SharedArray('d', [0.0, 1.0, 4.0, 9.0, 6.0])
