# expect: PR009
from multiprocessing import Process


class Logger(Process):
    def __init__(self, path):
        super().__init__()
        self.out = open(path, "a")

    def run(self):
        self.out.write("started\n")
