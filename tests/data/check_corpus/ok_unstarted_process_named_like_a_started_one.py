# expect: none
# Two test helpers use the same local name: the first starts its process, the second only
# inspects one built with a lambda, so that lambda is never pickled.
import multiprocessing


def square(n):
    print(n * n)


def runs_a_worker():
    proc = multiprocessing.Process(target=square, args=(4,))
    proc.start()
    proc.join()


def inspects_a_worker():
    proc = multiprocessing.Process(target=lambda: None, name="inspected")
    assert not proc.is_alive()
    return proc.name


if __name__ == "__main__":
    multiprocessing.freeze_support()
    runs_a_worker()
    print(inspects_a_worker())
