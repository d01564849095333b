# expect: PR005
# A helper that runs any producer: the target and the queue arrive as its parameters, so
# only the call in main() tells that a multiprocessing queue flows in and a producer fills it.
import multiprocessing


def collect(producer, results, count):
    worker = multiprocessing.Process(target=producer, args=(results, count))
    worker.start()
    worker.join()
    return [results.get() for _ in range(count)]


def squares(out, count):
    for n in range(count):
        out.put([n * n] * 20_000)


def main():
    queue = multiprocessing.Queue()
    rows = collect(squares, queue, 8)
    print(len(rows))


if __name__ == "__main__":
    multiprocessing.freeze_support()
    main()
