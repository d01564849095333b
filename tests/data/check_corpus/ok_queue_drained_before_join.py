# expect: none
# The parent reads the results as they come, until the queue stays empty for a while, and
# only then joins: the child's feeder has nothing left to flush, so the join cannot hang.
import multiprocessing
import queue


def produce(results, count):
    for number in range(count):
        results.put(number * number)


if __name__ == "__main__":
    results = multiprocessing.Queue()
    worker = multiprocessing.Process(target=produce, args=(results, 1000))
    worker.start()
    collected = []
    while True:
        try:
            collected.append(results.get(timeout=2))
        except queue.Empty:
            break
    worker.join()
    while not results.empty():
        collected.append(results.get())
    print(len(collected))
