"""Synchronization primitives shared between processes, with the processing package's names.

Like the guidelines say, these are shared by inheritance: pass them to ``Process`` as
arguments (or create them before a fork); they cannot be sent through a queue or a pipe.

Their reprs are the ones the processing package documents, which say who holds a lock and
how many processes wait, so that printing one while debugging a hang answers the question::

    <Lock(owner=MainProcess)>     <RLock(MainProcess, 2)>     <Semaphore(value=3)>
    <BoundedSemaphore(value=1, maxvalue=1)>     <Condition(<RLock(None, 0)>, 0)>

``HAVE_NATIVE_SEMAPHORE`` says whether the platform has the named semaphores (``sem_open``)
these objects are made of; where it is False (some Android, iOS and WASI builds) the names
are absent, as in processing, and using one raises an ImportError that says why.
"""

from __future__ import annotations

import multiprocessing

TYPE_CHECKING = False
if TYPE_CHECKING:
    from multiprocessing.context import BaseContext

__all__ = [
    "HAVE_NATIVE_SEMAPHORE",
    "BoundedSemaphore",
    "Condition",
    "Event",
    "Lock",
    "RLock",
    "Semaphore",
]

_PRIMITIVES = frozenset(__all__) - {"HAVE_NATIVE_SEMAPHORE"}


def _have_native_semaphore() -> bool:
    """Whether multiprocessing can make semaphores here (its SemLock needs ``sem_open``)."""
    from importlib import import_module

    try:
        return hasattr(import_module("_multiprocessing"), "SemLock")
    except ImportError:  # no _multiprocessing at all (WASI)
        return False


#: Whether this platform has native semaphores, so that Lock, RLock, Semaphore,
#: BoundedSemaphore, Condition and Event exist (processing's own flag of that name).
HAVE_NATIVE_SEMAPHORE: bool = _have_native_semaphore()


def _context(ctx: BaseContext | None) -> BaseContext:
    return ctx if ctx is not None else multiprocessing.get_context()


if HAVE_NATIVE_SEMAPHORE:  # multiprocessing.synchronize cannot even be imported without it
    from multiprocessing import synchronize

    def Lock(ctx: BaseContext | None = None) -> synchronize.Lock:
        """Lock: a non-recursive lock shared between processes (by inheritance)."""
        return synchronize.Lock(ctx=_context(ctx))

    def RLock(ctx: BaseContext | None = None) -> synchronize.RLock:
        """RLock: a recursive lock shared between processes (by inheritance)."""
        return synchronize.RLock(ctx=_context(ctx))

    # Semaphores are classes for the same reason as Condition and Event below (repr and
    # pickling by name), and for processing's getValue().

    class Semaphore(synchronize.Semaphore):
        """Semaphore: a counter of available slots shared between processes (by inheritance)."""

        def __init__(self, value: int = 1, ctx: BaseContext | None = None) -> None:
            super().__init__(value, ctx=_context(ctx))

        def getValue(self) -> int:
            """The counter's value (not available on macOS, as get_value())."""
            return self.get_value()

    class BoundedSemaphore(synchronize.BoundedSemaphore):
        """BoundedSemaphore: a semaphore that refuses to be released above its start value."""

        def __init__(self, value: int = 1, ctx: BaseContext | None = None) -> None:
            super().__init__(value, ctx=_context(ctx))

        def getValue(self) -> int:
            """The counter's value (not available on macOS, as get_value())."""
            return self.get_value()

    # Condition and Event are classes named as processing names them: their reprs come from
    # the class name, and spawn pickles them by it, so the name must lead back to the class.

    class Condition(synchronize.Condition):
        """Condition: a condition variable shared between processes (``notifyAll`` too).

        ``repr()`` shows the lock's repr and the number of waiting processes:
        ``<Condition(<RLock(None, 0)>, 0)>``.
        """

        def __init__(
            self,
            lock: synchronize.Lock | synchronize.RLock | None = None,
            ctx: BaseContext | None = None,
        ) -> None:
            super().__init__(lock, ctx=_context(ctx))
            # Its three counting semaphores are processing's, with getValue(), as the
            # original's were: programs and test suites check that no process still
            # sleeps by reading them. The classes differ only in methods.
            for name in ("_sleeping_count", "_woken_count", "_wait_semaphore"):
                getattr(self, name).__class__ = Semaphore

        def notifyAll(self) -> None:
            """Wake every process waiting on the condition."""
            self.notify_all()

    class Event(synchronize.Event):
        """Event: a flag processes can set, clear and wait for (``isSet`` too)."""

        def __init__(self, ctx: BaseContext | None = None) -> None:
            super().__init__(ctx=_context(ctx))

        def isSet(self) -> bool:
            """Whether the flag is set."""
            return self.is_set()

        def __repr__(self) -> str:
            # multiprocessing gives this form from 3.11 on; Python 3.10's Event has none.
            state = "set" if self.is_set() else "unset"
            return f"<{type(self).__qualname__} at {id(self):#x} {state}>"


def __getattr__(name: str) -> object:
    """Reached only for a missing name: say why a primitive is missing, if it is one."""
    if name in _PRIMITIVES:
        raise ImportError(
            f"processing.{name} needs native semaphores (sem_open), which this platform "
            "lacks (processing.HAVE_NATIVE_SEMAPHORE is False); share state through a "
            "Manager() instead, or run on a platform with sem_open"
        )
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
