# expect: PR001
from concurrent.futures import ProcessPoolExecutor as Executor


def cube(x):
    return x**3


with Executor(max_workers=2) as executor:
    print(list(executor.map(cube, range(4))))
