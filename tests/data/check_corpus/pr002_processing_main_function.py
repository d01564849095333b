# expect: PR002
# Shipped with py2exe (it looks for its files beside the executable when frozen). The guard
# calls main(), which starts the processes: the frozen program still needs freezeSupport().
import os
import sys

import processing as proc

HOME = os.path.dirname(sys.executable if hasattr(sys, "frozen") else __file__)


def child(n):
    print("child", n)


def main():
    print("running from", HOME)
    workers = [proc.Process(target=child, args=(i,)) for i in range(2)]
    for w in workers:
        w.start()
        w.join()


if __name__ == "__main__":
    main()
