# expect: none
# The start method is a parameter: which globals a child sees depends on it, and the checker
# cannot tell, so it asserts nothing that holds only under spawn.
import multiprocessing as mp

SETTINGS = {"verbose": False}


def child():
    print(SETTINGS["verbose"])


def compare(method):
    SETTINGS["verbose"] = True
    context = mp.get_context(method)
    process = context.Process(target=child)
    process.start()
    process.join()


if __name__ == "__main__":
    compare("fork")
