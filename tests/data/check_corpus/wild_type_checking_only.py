# expect: none
# Type annotations and TYPE_CHECKING imports of multiprocessing types: nothing runs.
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from multiprocessing import Queue
    from multiprocessing.pool import Pool


def drain(queue: Queue[int]) -> list[int]:
    items = []
    while not queue.empty():
        items.append(queue.get())
    return items


def shutdown(pool: Pool) -> None:
    pool.close()
    pool.join()
