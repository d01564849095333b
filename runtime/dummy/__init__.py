"""processing.dummy: the processing API on threads instead of processes.

For code written against ``processing`` that should run in one process: the same names, backed
by ``threading`` and ``multiprocessing.dummy``. ``Manager()`` returns this module (threads need
no server), so its ``dict``, ``list``, ``Namespace``, ``Value`` and ``Array`` stand in for a
manager's shared objects.
"""

from __future__ import annotations

import queue as _queue
import threading
from multiprocessing import dummy as _dummy
from multiprocessing.dummy import (
    Array,
    Barrier,
    BoundedSemaphore,
    Condition,
    Event,
    JoinableQueue,
    Lock,
    Queue,
    RLock,
    Semaphore,
    Value,
)
from multiprocessing.pool import ThreadPool

from ..pool import OldPoolNames
from ..process import OldProcessNames
from ..sharedmem import LocalManager, SharedArray, SharedStruct, SharedValue
from .connection import Pipe
from .managers import Manager, Namespace, dict, list, shutdown
from .managers import _debug_info as _debug_info  # Manager() is this module: 0.3x asked it
from .managers import _debugInfo as _debugInfo

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "Array",
    "Barrier",
    "BoundedSemaphore",
    "BufferedQueue",
    "Condition",
    "Event",
    "JoinableQueue",
    "LocalManager",
    "Lock",
    "Manager",
    "Namespace",
    "Pipe",
    "Pool",
    "Process",
    "Queue",
    "RLock",
    "Semaphore",
    "SharedArray",
    "SharedStruct",
    "SharedValue",
    "Value",
    "activeChildren",
    "cpuCount",
    "currentProcess",
    "dict",
    "freezeSupport",
    "list",
    "shutdown",
]


class Process(OldProcessNames, _dummy.DummyProcess):  # type: ignore[misc]
    """Process: activity run in a separate thread, with the processing package's accessors."""


class Pool(OldPoolNames, ThreadPool):
    """Pool: worker threads to which tasks are submitted (camelCase names as well)."""


def BufferedQueue() -> _queue.Queue[Any]:
    """BufferedQueue: a queue whose put() never blocks (unbounded)."""
    return _queue.Queue()


def currentProcess() -> threading.Thread:
    """currentProcess: the calling thread."""
    return threading.current_thread()


def _give_every_thread_is_alive() -> None:
    """Add ``isAlive()`` to ``threading.Thread``, which Python 3.9 removed.

    ``currentProcess()`` returns the calling thread itself, whatever started it (the main
    thread, a plain ``threading.Thread``, a pool's worker), and code written for the
    original package asks it ``isAlive()``, as ``processing.dummy.Process`` answers it. Only
    a name the standard library no longer defines is added, so nothing else changes; only
    importing ``processing.dummy`` does this.
    """
    if not hasattr(threading.Thread, "isAlive"):
        setattr(threading.Thread, "isAlive", OldProcessNames.isAlive)  # noqa: B010


_give_every_thread_is_alive()


def activeChildren() -> list[threading.Thread]:
    """activeChildren: the threads started from this one that are still running."""
    return _dummy.active_children()


def cpuCount() -> int:
    """cpuCount: the number of CPUs in the system."""
    import os

    return os.cpu_count() or 1


def freezeSupport() -> None:
    """freezeSupport: nothing to do for threads."""
