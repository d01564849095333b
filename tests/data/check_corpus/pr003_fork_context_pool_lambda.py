# expect: PR003
# An explicit fork context pickles nothing to start a child: the nested Process target is
# fine there. The pool's lambda is not: tasks reach the workers through the pool's queue,
# pickled, under fork too.
from multiprocessing import Value, get_context


def run_isolated(size):
    failed = Value("b", False)

    def check(flag):
        try:
            bytearray(size)
        except MemoryError:
            flag.value = True

    ctx = get_context("fork")
    p = ctx.Process(target=check, args=(failed,))
    p.start()
    p.join()
    with get_context("fork").Pool(2) as pool:
        pool.map(lambda x: x, range(3))
    return failed.value
