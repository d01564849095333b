# expect: PR007 PR009
import threading
import multiprocessing


class Reporter(multiprocessing.Process):
    def __init__(self):
        super().__init__()
        self.guard = threading.Condition()


def note(store, i):
    store.append(i)


def main():
    with multiprocessing.Manager() as m:
        store = m.list()
        threads = []
        for i in range(3):
            threads.append(threading.Thread(target=note, args=(store, i)))
