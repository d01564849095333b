"""processing: the runtime library procrun scripts run atop.

The API of the ``processing`` package (the ancestor of ``multiprocessing``) on top of the
standard ``multiprocessing``, with today's snake_case names as well, and the programming
guidelines turned into behaviour:

- an unpicklable ``Process`` target or argument is named in the error, with the fix;
- locks, queues and shared values sent through a queue or a pipe are refused, with the fix
  (pass them to ``Process``: inheritance);
- ``join()`` on a child stuck feeding a queue nobody reads warns;
- child starts that ship over 64 MiB of arguments warn;
- manager proxies may be ``copy.copy()``-ed, one per thread.

Like everything a child process or a frozen app imports, it uses only the standard library.
"""

from multiprocessing import (
    BufferTooShort,
    ProcessError,
    TimeoutError,
    active_children,
    cpu_count,
    current_process,
    freeze_support,
    get_logger,
)

from . import transfer as _transfer
from .pool import Manager, Pool
from .process import (
    Process,
    activeChildren,
    cpuCount,
    currentProcess,
    enableLogging,
    freezeSupport,
    getLogger,
    waitForAnyChild,
)
from .synchronize import BoundedSemaphore, Condition, Event, Lock, RLock, Semaphore

__version__ = "0.1.0"
__all__ = [
    "BoundedSemaphore",
    "BufferTooShort",
    "Condition",
    "Event",
    "Lock",
    "Manager",
    "Pool",
    "Process",
    "ProcessError",
    "RLock",
    "Semaphore",
    "TimeoutError",
    "activeChildren",
    "active_children",
    "cpuCount",
    "cpu_count",
    "currentProcess",
    "current_process",
    "enableLogging",
    "freezeSupport",
    "freeze_support",
    "getLogger",
    "get_logger",
    "waitForAnyChild",
]

_transfer.install()
