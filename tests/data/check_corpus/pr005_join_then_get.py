# expect: PR005
from multiprocessing import Process, Queue, freeze_support


def produce(q):
    q.put("x" * 1_000_000)


if __name__ == "__main__":
    freeze_support()
    q = Queue()
    p = Process(target=produce, args=(q,))
    p.start()
    p.join()
    print(len(q.get()))
