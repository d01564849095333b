# expect: PR002
# The guard calls main(), which starts the processes: the script still needs freezeSupport().
import processing as proc


def child(n):
    print("child", n)


def main():
    workers = [proc.Process(target=child, args=(i,)) for i in range(2)]
    for w in workers:
        w.start()
        w.join()


if __name__ == "__main__":
    main()
