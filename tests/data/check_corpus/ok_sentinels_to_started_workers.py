# expect: none
# A bounded queue owned by an object: its workers start in one method, the shutdown
# sentinels are put in a loop in another. Not a queue filled before its consumers start.
import multiprocessing


def consume(queue):
    for _ in iter(queue.get, None):
        pass


class Workers:
    def __init__(self, count):
        self._queue = multiprocessing.Queue(1000)
        self._workers = [
            multiprocessing.Process(target=consume, args=(self._queue,)) for _ in range(count)
        ]

    def start(self):
        for worker in self._workers:
            worker.start()

    def shutdown(self):
        for _ in self._workers:
            self._queue.put(None)
        for worker in self._workers:
            worker.join()
