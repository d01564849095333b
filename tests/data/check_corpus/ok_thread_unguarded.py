# expect: none
# Threads at import time are fine; multiprocessing is only asked for the CPU count.
import multiprocessing
import threading


def work():
    print("cpus", multiprocessing.cpu_count())


t = threading.Thread(target=work)
t.start()
t.join()
