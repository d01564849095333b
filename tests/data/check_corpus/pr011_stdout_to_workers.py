# expect: PR011
# Each worker is handed the parent's stdout to write its progress on; under spawn the
# Process cannot be pickled ("cannot pickle '_io.TextIOWrapper' object").
import multiprocessing
import sys


def crunch(index, out):
    out.write(f"worker {index} done\n")


if __name__ == "__main__":
    workers = [
        multiprocessing.Process(target=crunch, args=(index, sys.stdout)) for index in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
