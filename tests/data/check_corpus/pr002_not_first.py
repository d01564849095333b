# expect: PR002
import multiprocessing


def hello():
    print("hello from the child")


if __name__ == "__main__":
    print("starting")
    multiprocessing.freeze_support()
    p = multiprocessing.Process(target=hello)
    p.start()
    p.join()
