# expect: PR001
import multiprocessing as mp
import sys


def work(i):
    sys.stdout.write(f"task {i}\n")


procs = []
for i in range(2):
    proc = mp.Process(target=work, args=(i,))
    procs.append(proc)
for proc in procs:
    proc.start()
    proc.join()
