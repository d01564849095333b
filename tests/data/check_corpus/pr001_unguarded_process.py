# expect: PR001
# The guidelines' own example: a module that starts a process when imported.
from multiprocessing import Process


def foo():
    print("hello")


p = Process(target=foo)
p.start()
p.join()
