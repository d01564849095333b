# expect: none
# The script chooses fork for every child in its main block: targets are never pickled.
import multiprocessing as mp


def main():
    results = mp.Queue()

    def child():
        results.put("from the child")

    p = mp.Process(target=child)
    p.start()
    print(results.get())
    p.join()


if __name__ == "__main__":
    mp.freeze_support()
    mp.set_start_method("fork")
    main()
