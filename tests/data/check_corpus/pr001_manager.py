# expect: PR001
from multiprocessing import Manager

manager = Manager()
shared = manager.dict()
shared["answer"] = 42
print(dict(shared))
manager.shutdown()
