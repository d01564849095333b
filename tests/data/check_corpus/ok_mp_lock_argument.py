# expect: none
# multiprocessing's own Lock, passed to Process: shared by inheritance, as it should be.
import multiprocessing as mp


def work(lock, n):
    with lock:
        print("working", n)


if __name__ == "__main__":
    mp.freeze_support()
    lock = mp.Lock()
    p = mp.Process(target=work, args=(lock, 1))
    p.start()
    p.join()
