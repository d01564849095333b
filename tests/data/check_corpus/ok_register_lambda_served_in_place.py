# expect: none
# The remote-manager shape: the lambda is registered and the server runs in this very process
# (get_server().serve_forever()), so the registry is never pickled.
import queue
from multiprocessing.managers import BaseManager

tasks = queue.Queue()


class TaskManager(BaseManager):
    pass


TaskManager.register("get_tasks", callable=lambda: tasks)

if __name__ == "__main__":
    manager = TaskManager(address=("", 50000), authkey=b"change me")
    manager.get_server().serve_forever()
