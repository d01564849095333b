# expect: none
# Changing an attribute of an imported module (sys.stdout) is not a global the child misses.
import io
import multiprocessing
import sys


def probe(queue):
    sys.stdout = io.StringIO()
    queue.put(sys.platform)


def capture():
    saved = sys.stdout
    sys.stdout = io.StringIO()
    try:
        queue = multiprocessing.Queue()
        p = multiprocessing.Process(target=probe, args=(queue,))
        p.start()
        result = queue.get()
        p.join()
        return result
    finally:
        sys.stdout = saved


if __name__ == "__main__":
    multiprocessing.freeze_support()
    print(capture())
