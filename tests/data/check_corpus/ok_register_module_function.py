# expect: none
# A manager registered with a module-level function: it pickles by reference.
import queue
from multiprocessing.managers import BaseManager

jobs = queue.Queue()


def get_jobs():
    return jobs


class JobManager(BaseManager):
    pass


JobManager.register("get_jobs", callable=get_jobs)

if __name__ == "__main__":
    manager = JobManager(address=("127.0.0.1", 0), authkey=b"secret")
    manager.start()
    manager.shutdown()
