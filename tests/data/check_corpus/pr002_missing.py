# expect: PR002
# A program shipped as a PyInstaller executable (it finds its data beside the executable
# when frozen) whose main guard never calls freeze_support(): the frozen children re-run it.
import os
import sys
from multiprocessing import Pool

if getattr(sys, "frozen", False):
    DATA = os.path.dirname(sys.executable)
else:
    DATA = os.path.dirname(os.path.abspath(__file__))


def square(x):
    return x * x


if __name__ == "__main__":
    with Pool(2) as pool:
        print(DATA, pool.map(square, range(4)))
