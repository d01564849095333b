# expect: PR001
from multiprocessing import Process


class Worker(Process):
    def __init__(self, n):
        super().__init__()
        self.n = n

    def run(self):
        print("worker", self.n)


w = Worker(3)
w.start()
w.join()
