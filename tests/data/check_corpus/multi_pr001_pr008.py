# expect: PR001 PR008
import multiprocessing


def show(conn):
    print("got", type(conn.recv()).__name__)


a, b = multiprocessing.Pipe()
p = multiprocessing.Process(target=show, args=(b,))
p.start()
try:
    a.send(multiprocessing.Lock())
except RuntimeError as error:
    print("refused:", error)
    a.send("fallback")
p.join()
