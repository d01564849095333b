# expect: none
# Module-level functions, functools.partial of them, and bound methods pickle fine.
import functools
import multiprocessing


def scale(x, factor):
    return x * factor


class Greeter:
    def greet(self):
        print("hi")


def main():
    with multiprocessing.Pool(2) as pool:
        print(pool.map(functools.partial(scale, factor=3), range(4)))
    p = multiprocessing.Process(target=Greeter().greet)
    p.start()
    p.join()


if __name__ == "__main__":
    multiprocessing.freeze_support()
    main()
