# expect: PR011
# A results file opened by the parent and given to each pool task: the task arguments travel
# through the pool's queue, pickled, and an open file cannot be.
from concurrent.futures import ProcessPoolExecutor


def summarise(name, sink):
    sink.write(name.upper() + "\n")


def main(names):
    with open("summary.txt", "w") as sink, ProcessPoolExecutor() as pool:
        for name in names:
            pool.submit(summarise, name, sink)


if __name__ == "__main__":
    main(["alpha", "beta"])
