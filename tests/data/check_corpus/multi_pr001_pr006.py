# expect: PR001 PR006
from multiprocessing import Process

LIMIT = 3


def work():
    print("limit", LIMIT)


p = Process(target=work)
p.start()
p.join()
LIMIT = 5
print("done", LIMIT)
