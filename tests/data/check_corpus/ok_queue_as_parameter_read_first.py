# expect: none
# The same helper shape as pr005_queue_and_target_as_parameters.py, but it reads every
# item before joining, so the producer can always flush its queue and exit.
import multiprocessing


def collect(producer, results, count):
    worker = multiprocessing.Process(target=producer, args=(results, count))
    worker.start()
    rows = [results.get() for _ in range(count)]
    worker.join()
    return rows


def squares(out, count):
    for n in range(count):
        out.put([n * n] * 20_000)


def main():
    queue = multiprocessing.Queue()
    print(len(collect(squares, queue, 8)))


if __name__ == "__main__":
    multiprocessing.freeze_support()
    main()
