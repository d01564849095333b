"""processing.dummy.managers: the managers of processing.dummy, for code run on threads.

Threads share memory, so a manager has nothing to serve. ``Manager()`` returns the
``processing.dummy`` module itself (as 0.52 did), whose ``dict``, ``list``, ``Namespace``,
``Value``, ``Array``, locks and queues are the plain objects, and whose ``shutdown()`` does
nothing. Code written for the 0.3x manager classes finds them here too: ``BaseManager`` and
``SyncManager`` start nothing, their creator methods return the objects themselves (no proxy
in between), and ``BaseProxy`` is there to be subclassed by code that also defines proxies
for the process-based managers. Code written for ``processing.Manager()`` runs unchanged.
"""

from __future__ import annotations

import queue as _queue
import threading
from multiprocessing.dummy import Array, Namespace, Value

from ..sharedmem import SharedArray, SharedStruct, SharedValue

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import ModuleType
    from typing import Any

__all__ = [
    "Array",
    "BaseManager",
    "BaseProxy",
    "CreatorMethod",
    "Manager",
    "Namespace",
    "SyncManager",
    "Value",
    "dict",
    "list",
    "shutdown",
]

dict = dict
list = list


def Manager() -> ModuleType:
    """Manager: the ``processing.dummy`` module, whose objects threads share directly."""
    import importlib

    return importlib.import_module(__name__.rpartition(".")[0])


def shutdown() -> None:
    """Nothing to shut down: there is no server."""


def _debug_info() -> None:
    """Nothing keeps objects alive on a server: None, as 0.3x's thread managers said."""
    return None


_debugInfo = _debug_info


def CreatorMethod(
    callable: Callable[..., Any],
    proxytype: Any = None,
    exposed: Any = None,
    typeid: str | None = None,
) -> Callable[..., Any]:
    """CreatorMethod: a manager method that makes ``callable(*args, **kwds)`` and returns it
    (threads share it as it is; ``proxytype``, ``exposed`` and ``typeid`` are accepted for
    code written for the process-based managers, and unused)."""

    def create(self: Any, *args: Any, **kwds: Any) -> Any:
        return callable(*args, **kwds)

    create.__name__ = getattr(callable, "__name__", "create")
    create.__doc__ = f"Make a {create.__name__} shared by this process's threads."
    return create


class BaseManager:
    """BaseManager: a manager for threads, which starts and serves nothing."""

    def __init__(self, *args: Any, **kwds: Any) -> None:
        pass

    def start(self) -> None:
        """Nothing to start."""

    def serveForever(self) -> None:
        """Nothing to serve: returns at once."""

    serve_forever = serveForever

    def shutdown(self) -> None:
        """Nothing to shut down."""

    def join(self, timeout: float | None = None) -> None:
        """Nothing to wait for."""

    def _debug_info(self) -> None:
        """None: no server keeps objects alive."""
        return None

    _debugInfo = _debug_info

    @classmethod
    def register(
        cls, typeid: str, callable: Callable[..., Any] | None = None, *args: Any, **kwds: Any
    ) -> None:
        """Give the class a method ``typeid`` that makes ``callable(...)`` (0.52's spelling)."""
        if callable is not None:
            setattr(cls, typeid, CreatorMethod(callable))

    def __enter__(self) -> BaseManager:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()


class SyncManager(BaseManager):
    """SyncManager: the synchronization objects, queues and containers threads share."""

    Event = CreatorMethod(threading.Event)
    Queue = CreatorMethod(_queue.Queue)
    Lock = CreatorMethod(threading.Lock)
    RLock = CreatorMethod(threading.RLock)
    Semaphore = CreatorMethod(threading.Semaphore)
    BoundedSemaphore = CreatorMethod(threading.BoundedSemaphore)
    Condition = CreatorMethod(threading.Condition)
    Namespace = CreatorMethod(Namespace)
    SharedValue = CreatorMethod(SharedValue)
    SharedStruct = CreatorMethod(SharedStruct)
    SharedArray = CreatorMethod(SharedArray)
    Value = CreatorMethod(Value)
    Array = CreatorMethod(Array)
    dict = CreatorMethod(dict)
    list = CreatorMethod(list)


class BaseProxy:
    """BaseProxy: a base for proxy classes, which the thread managers never make (their
    objects are shared as they are)."""
