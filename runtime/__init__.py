"""processing: the runtime library procrun scripts run atop.

The API of the ``processing`` package (the ancestor of ``multiprocessing``) on top of the
standard ``multiprocessing``, with today's snake_case names as well, and the programming
guidelines turned into behaviour:

- an unpicklable ``Process`` target or argument is named in the error, with the fix;
- locks, queues and shared values sent through a queue or a pipe are refused, with the fix
  (pass them to ``Process``: inheritance);
- ``join()`` on a child stuck feeding a queue nobody reads warns (under procrun, for plain
  ``multiprocessing`` code too);
- child starts that ship over 64 MiB of arguments warn;
- manager proxies may be ``copy.copy()``-ed, one per thread.

Like everything a child process or a frozen app imports, it uses only the standard library.
"""

from __future__ import annotations

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

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .connection import InheritanceOnlyError, Pipe
    from .finalize import Finalize
    from .logger import DEBUG, INFO, NOTSET, SUBDEBUG, SUBWARNING
    from .pool import Manager, Pool
    from .process import (
        Process,
        ProcessExit,
        activeChildren,
        cpuCount,
        currentProcess,
        enableLogging,
        freezeSupport,
        getLogger,
        waitForAnyChild,
    )
    from .queues import BufferedQueue, Queue, SimpleQueue
    from .sharedmem import LocalManager, SharedArray, SharedStruct, SharedValue
    from .synchronize import BoundedSemaphore, Condition, Event, Lock, RLock, Semaphore

__version__ = "0.1.0"

#: name -> the submodule that defines it, imported when the name is first used, so that
#: ``import processing`` (in every child, and in frozen apps) costs next to nothing.
_LAZY = {
    "Manager": "managers",
    "Pool": "pool",
    "Process": "process",
    "activeChildren": "process",
    "cpuCount": "process",
    "currentProcess": "process",
    "enableLogging": "logger",
    "freezeSupport": "process",
    "getLogger": "logger",
    "waitForAnyChild": "process",
    # 0.35's process helpers, never in __all__ (a star import of 0.52 did not give them)
    "info": "process",
    "debug": "process",
    "BoundedSemaphore": "synchronize",
    "Condition": "synchronize",
    "Event": "synchronize",
    "Lock": "synchronize",
    "RLock": "synchronize",
    "Semaphore": "synchronize",
    "LocalManager": "sharedmem",
    "SharedArray": "sharedmem",
    "SharedStruct": "sharedmem",
    "SharedValue": "sharedmem",
    "Queue": "queues",
    "BufferedQueue": "queues",
    "Pipe": "connection",
    "InheritanceOnlyError": "connection",
    # 0.3x-0.52 names (issue 14): each defined by the module named here.
    "Value": "sharedctypes",
    "Array": "sharedctypes",
    "RawValue": "sharedctypes",
    "RawArray": "sharedctypes",
    "PipeQueue": "queues",
    "PosixQueue": "queues",
    "BufferedPosixQueue": "queues",
    "BufferedPipeQueue": "queues",
    "SimpleQueue": "queues",
    "Finalize": "finalize",
    "ProcessExit": "process",
    "HAVE_NATIVE_SEMAPHORE": "synchronize",
    "NOTSET": "logger",
    "SUBDEBUG": "logger",
    "DEBUG": "logger",
    "INFO": "logger",
    "SUBWARNING": "logger",
}

__all__ = [
    "DEBUG",
    "INFO",
    "NOTSET",
    "SUBDEBUG",
    "SUBWARNING",
    "Array",
    "BoundedSemaphore",
    "BufferTooShort",
    "BufferedQueue",
    "Condition",
    "Event",
    "Finalize",
    "InheritanceOnlyError",
    "LocalManager",
    "Lock",
    "Manager",
    "Pipe",
    "Pool",
    "Process",
    "ProcessError",
    "ProcessExit",
    "Queue",
    "RLock",
    "Semaphore",
    "SharedArray",
    "SharedStruct",
    "SharedValue",
    "SimpleQueue",
    "TimeoutError",
    "Value",
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


#: Submodules the original package imported with itself, read as ``processing.<name>``
#: without an import of their own (0.52's test suite reads ``processing._processing``).
_IMPORTED_WITH_THE_PACKAGE = frozenset({"_processing"})


def __getattr__(name: str) -> Any:
    from importlib import import_module

    if name in _IMPORTED_WITH_THE_PACKAGE:
        return import_module(f"{__name__}.{name}")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'processing' has no attribute {name!r}")

    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


_transfer.install()
