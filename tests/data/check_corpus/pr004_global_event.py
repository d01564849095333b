# expect: PR004
# A threading.Event at module level, waited on by a process: the child has its own copy.
from threading import Event as ThreadEvent

import processing

STOP = ThreadEvent()


def watcher():
    STOP.wait(0.1)
    print("stopped")


if __name__ == "__main__":
    processing.freezeSupport()
    p = processing.Process(target=watcher)
    p.start()
    p.join()
