# expect: PR003
import signal
from multiprocessing import Pool


def work(x):
    return x * x


def main():
    pool = Pool(4, initializer=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        print(pool.map(work, range(10)))
    finally:
        pool.terminate()
