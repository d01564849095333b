"""Plain PyInstaller's side of bench/freeze.py: guarded by hand, with freeze_support()."""

from __future__ import annotations

import multiprocessing
from multiprocessing.queues import Queue


def answer(queue: Queue[int]) -> None:
    queue.put(42)


if __name__ == "__main__":
    multiprocessing.freeze_support()
    multiprocessing.set_start_method("spawn")
    print("started", flush=True)
    queue: Queue[int] = multiprocessing.Queue()
    child = multiprocessing.Process(target=answer, args=(queue,))
    child.start()
    print("result", queue.get(), flush=True)
    child.join()
