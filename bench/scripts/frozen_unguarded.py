"""procrun freeze's side of bench/freeze.py: unguarded, no freeze_support()."""

from __future__ import annotations

import multiprocessing
from multiprocessing.queues import Queue

print("started", flush=True)


def answer(queue: Queue[int]) -> None:
    queue.put(42)


queue: Queue[int] = multiprocessing.Queue()
child = multiprocessing.Process(target=answer, args=(queue,))
child.start()
print("result", queue.get(), flush=True)
child.join()
