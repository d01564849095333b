# expect: PR001
# freeze_support() at module level is not the first statement of a main guard.
from processing import Process, freezeSupport


def foo():
    print("hello")


freezeSupport()
p = Process(target=foo)
p.start()
p.join()
