# expect: PR011
# The pool's function is a bound method, so every task pickles the instance, and the
# instance keeps a threading lock for its counters: the tasks fail under every start method.
import threading
from multiprocessing import Pool


class Crawler:
    def __init__(self):
        self.lock = threading.Lock()
        self.seen = 0

    def fetch(self, url):
        return len(url)

    def run(self, urls):
        with Pool(4) as pool:
            sizes = pool.map(self.fetch, urls)
        with self.lock:
            self.seen += len(sizes)
        return sizes


if __name__ == "__main__":
    print(Crawler().run(["a", "bb", "ccc"]))
