# expect: none
# Keep what is needed to make the file; open it in run(). multiprocessing's Lock is fine.
import multiprocessing
import threading


class Worker(multiprocessing.Process):
    def __init__(self, path):
        super().__init__()
        self.path = path
        self.lock = multiprocessing.Lock()

    def run(self):
        with open(self.path, "a") as out, self.lock:
            out.write("x")


class Helper(threading.Thread):
    def __init__(self):
        super().__init__()
        self.lock = threading.Lock()
