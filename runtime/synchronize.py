"""Synchronization primitives shared between processes, with the processing package's names.

Like the guidelines say, these are shared by inheritance: pass them to ``Process`` as
arguments (or create them before a fork); they cannot be sent through a queue or a pipe.
"""

from __future__ import annotations

import multiprocessing
from multiprocessing import synchronize

TYPE_CHECKING = False
if TYPE_CHECKING:
    from multiprocessing.context import BaseContext

__all__ = ["BoundedSemaphore", "Condition", "Event", "Lock", "RLock", "Semaphore"]


def _context(ctx: BaseContext | None) -> BaseContext:
    return ctx if ctx is not None else multiprocessing.get_context()


def Lock(ctx: BaseContext | None = None) -> synchronize.Lock:
    """Lock: a non-recursive lock shared between processes (by inheritance)."""
    return synchronize.Lock(ctx=_context(ctx))


def RLock(ctx: BaseContext | None = None) -> synchronize.RLock:
    """RLock: a recursive lock shared between processes (by inheritance)."""
    return synchronize.RLock(ctx=_context(ctx))


def Semaphore(value: int = 1, ctx: BaseContext | None = None) -> synchronize.Semaphore:
    """Semaphore: a counter of available slots shared between processes (by inheritance)."""
    return synchronize.Semaphore(value, ctx=_context(ctx))


def BoundedSemaphore(
    value: int = 1, ctx: BaseContext | None = None
) -> synchronize.BoundedSemaphore:
    """BoundedSemaphore: a semaphore that refuses to be released above its start value."""
    return synchronize.BoundedSemaphore(value, ctx=_context(ctx))


class _Condition(synchronize.Condition):
    def notifyAll(self) -> None:
        """Wake every process waiting on the condition."""
        self.notify_all()


class _Event(synchronize.Event):
    def isSet(self) -> bool:
        """Whether the flag is set."""
        return self.is_set()


def Condition(
    lock: synchronize.Lock | synchronize.RLock | None = None, ctx: BaseContext | None = None
) -> _Condition:
    """Condition: a condition variable shared between processes (``notifyAll`` too)."""
    return _Condition(lock, ctx=_context(ctx))


def Event(ctx: BaseContext | None = None) -> _Event:
    """Event: a flag processes can set, clear and wait for (``isSet`` too)."""
    return _Event(ctx=_context(ctx))
