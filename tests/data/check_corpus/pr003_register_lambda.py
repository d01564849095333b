# expect: PR003
# The callable registered with a manager class goes to the manager's server process with
# the registry: under spawn a lambda cannot be pickled and start() fails.
import queue
from multiprocessing.managers import BaseManager

jobs = queue.Queue()


class JobManager(BaseManager):
    pass


JobManager.register("get_jobs", callable=lambda: jobs)

if __name__ == "__main__":
    manager = JobManager(address=("127.0.0.1", 0), authkey=b"secret")
    manager.start()
    manager.get_jobs().put("first")
    manager.shutdown()
