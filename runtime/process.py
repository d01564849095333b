"""Processes: the processing package's ``Process`` and process-level functions.

``Process`` is ``multiprocessing.Process`` with the old accessors, and with the picklability
guideline turned into an error that says what to do.
"""

from __future__ import annotations

import multiprocessing
import pickle
from multiprocessing import connection

TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging
    from typing import Any

__all__ = [
    "Process",
    "activeChildren",
    "cpuCount",
    "currentProcess",
    "enableLogging",
    "freezeSupport",
    "getLogger",
    "waitForAnyChild",
]


class OldProcessNames:
    """The processing package's accessors, for processes and threads alike."""

    name: str
    daemon: bool
    exitcode: int | None

    def getName(self) -> str:
        """The process's name."""
        return self.name

    def setName(self, name: str) -> None:
        """Set the process's name."""
        self.name = name

    def isAlive(self) -> bool:
        """Whether the process is running."""
        return bool(self.is_alive())  # type: ignore[attr-defined]

    def isDaemon(self) -> bool:
        """Whether the process is daemonic (terminated when its parent exits)."""
        return bool(self.daemon)

    def setDaemon(self, daemonic: bool) -> None:
        """Make the process daemonic or not (before ``start()``)."""
        self.daemon = daemonic

    def getExitCode(self) -> int | None:
        """The exit code (negative: killed by that signal), or None while running."""
        return self.exitcode


class Process(OldProcessNames, multiprocessing.Process):
    """Process: activity run in a separate process; its target and arguments must pickle."""

    def start(self) -> None:
        """Start the process; an unpicklable target or argument is named in the error."""
        try:
            super().start()
        except (pickle.PicklingError, AttributeError, TypeError) as error:
            culprit = _unpicklable_part(self)
            if culprit is None:
                raise
            raise pickle.PicklingError(
                f"cannot start {self.name}: {culprit} cannot be pickled, and the "
                f"{_start_method(self)} start method sends the target and its arguments to "
                "the child by pickling. Use a function defined at module level (not a lambda, "
                "closure, nested function or bound method), or run the script with procrun, "
                f"which pickles lambdas and closures by value. ({error})"
            ) from error

    def getPid(self) -> int | None:
        """The process id, once started."""
        return self.pid

    def getAuthKey(self) -> bytes:
        """The process's authentication key."""
        return self.authkey

    def setAuthKey(self, authkey: bytes) -> None:
        """Set the process's authentication key."""
        self.authkey = authkey


def _start_method(process: multiprocessing.process.BaseProcess) -> str:
    method = getattr(process, "_start_method", None)
    return str(method or multiprocessing.get_start_method())


def _unpicklable_part(process: multiprocessing.process.BaseProcess) -> str | None:
    """'its target f (function)' or 'argument 2 (lambda)', for the first part that fails."""
    from multiprocessing.reduction import ForkingPickler

    parts: list[tuple[str, Any]] = [("its target", getattr(process, "_target", None))]
    parts += [(f"argument {i}", value) for i, value in enumerate(getattr(process, "_args", ()))]
    parts += [(f"keyword argument {k!r}", v) for k, v in getattr(process, "_kwargs", {}).items()]
    for label, value in parts:
        try:
            ForkingPickler.dumps(value)
        except RuntimeError:
            continue  # a Lock, Queue...: shared by inheritance when the child starts
        except Exception:
            name = getattr(value, "__qualname__", None) or type(value).__name__
            return f"{label} {name} ({type(value).__name__})"
    return None


def currentProcess() -> multiprocessing.process.BaseProcess:
    """currentProcess: the Process object of the calling process."""
    return multiprocessing.current_process()


def activeChildren() -> list[multiprocessing.process.BaseProcess]:
    """activeChildren: the children of this process still running (and joins finished ones)."""
    return multiprocessing.active_children()


def cpuCount() -> int:
    """cpuCount: the number of CPUs in the system."""
    return multiprocessing.cpu_count()


def freezeSupport() -> None:
    """freezeSupport: call first in the main module of a frozen executable (see the guidelines)."""
    multiprocessing.freeze_support()


def waitForAnyChild(timeout: float | None = None) -> multiprocessing.process.BaseProcess | None:
    """waitForAnyChild: wait until a child process ends; it, joined, or None on timeout."""
    children = {child.sentinel: child for child in multiprocessing.active_children()}
    if not children:
        return None
    ready = connection.wait(list(children), timeout)
    if not ready:
        return None
    child = children[ready[0]]  # type: ignore[index]
    child.join()
    return child


def enableLogging(
    level: int,
    HandlerType: type[logging.Handler] | None = None,
    handlerArgs: tuple[Any, ...] = (),
    format: str | None = None,
) -> logging.Logger:
    """enableLogging: log multiprocessing's activity at ``level`` (to stderr by default)."""
    import logging

    logger = multiprocessing.get_logger()
    logger.setLevel(level)
    handler = HandlerType(*handlerArgs) if HandlerType else logging.StreamHandler()
    handler.setFormatter(logging.Formatter(format or "[%(levelname)s/%(processName)s] %(message)s"))
    logger.addHandler(handler)
    return logger


def getLogger() -> logging.Logger:
    """getLogger: the logger multiprocessing (and processing) log to."""
    return multiprocessing.get_logger()


def _watch_joins() -> None:
    # Guideline: joining a child before getting what it put on a queue can deadlock.
    from .queues import install_join_watch

    install_join_watch(Process)


_watch_joins()
