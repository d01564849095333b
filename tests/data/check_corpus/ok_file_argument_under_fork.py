# expect: none
# Under fork nothing is pickled to start a Process: the child inherits the open file.
import multiprocessing


def write_line(out):
    out.write("from the child\n")
    out.flush()


if __name__ == "__main__":
    context = multiprocessing.get_context("fork")
    with open("forked.log", "w") as out:
        child = context.Process(target=write_line, args=(out,))
        child.start()
        child.join()
