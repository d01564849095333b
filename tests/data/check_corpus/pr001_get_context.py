# expect: PR001
import multiprocessing


def greet(name):
    print("hello", name)


ctx = multiprocessing.get_context("spawn")
p = ctx.Process(target=greet, args=("world",))
p.start()
p.join()
