# expect: PR003
import multiprocessing


def main():
    greeting = "hello"

    def work():
        print(greeting)

    p = multiprocessing.Process(target=work)
    p.start()
    p.join()


if __name__ == "__main__":
    multiprocessing.freeze_support()
    main()
