# expect: PR003
# Choosing fork does not spare a pool's tasks from pickling: they go to the workers through
# a queue, so the lambda fails on Linux too.
import multiprocessing


def main():
    context = multiprocessing.get_context("fork")
    offset = 10
    with context.Pool(2) as pool:
        print(pool.map(lambda x: x + offset, range(5)))


if __name__ == "__main__":
    main()
