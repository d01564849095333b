# expect: PR009
import multiprocessing as mp
import queue


class Base(mp.Process):
    pass


class Worker(Base):
    def __init__(self):
        super().__init__()
        self.inbox = queue.Queue()
        self.callback = lambda item: print(item)
