# expect: PR006
import argparse
import multiprocessing

VERBOSE = False


def process_item(item):
    if VERBOSE:
        print("processing", item)
    return item * 10


def main(argv=None):
    global VERBOSE
    parser = argparse.ArgumentParser()
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    VERBOSE = args.verbose
    with multiprocessing.Pool(2) as pool:
        print(sum(pool.map(process_item, range(5))))


if __name__ == "__main__":
    main()
