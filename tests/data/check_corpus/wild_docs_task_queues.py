# expect: none
# The shape of the multiprocessing documentation's task-queue example.
import random
import time
from multiprocessing import Process, Queue, current_process


def worker(input, output):
    for func, args in iter(input.get, "STOP"):
        result = calculate(func, args)
        output.put(result)


def calculate(func, args):
    result = func(*args)
    return "%s says that %s%s = %s" % (current_process().name, func.__name__, args, result)


def mul(a, b):
    time.sleep(0.01 * random.random())
    return a * b


def plus(a, b):
    return a + b


def test():
    NUMBER_OF_PROCESSES = 2
    TASKS1 = [(mul, (i, 7)) for i in range(6)]
    task_queue = Queue()
    done_queue = Queue()
    for task in TASKS1:
        task_queue.put(task)
    for i in range(NUMBER_OF_PROCESSES):
        Process(target=worker, args=(task_queue, done_queue)).start()
    results = sorted(done_queue.get().split(" says that ")[1] for i in range(len(TASKS1)))
    print("\n".join(results))
    for i in range(NUMBER_OF_PROCESSES):
        task_queue.put("STOP")


if __name__ == "__main__":
    test()
