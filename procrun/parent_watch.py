"""Children end when their parent dies, so that no process a script starts outlives it.

``multiprocessing`` gives every child a sentinel: a descriptor that becomes readable when the
parent is gone (under spawn and fork, a pipe whose write end only the parent holds; under
forkserver, the parent's socket). A daemon thread in each child waits on it (one that steps aside
whenever the child forks, :mod:`procrun.watcher`). If the parent dies first (SIGKILL,
SIGTERM, a crash), the thread ends the child with SIGTERM, as ``kill`` would, and with
SIGKILL if the child is still there a few seconds later. On Windows the sentinel is a
process handle, and a child is ended as Windows ends processes. The child's own children
notice in turn, so whole trees go. A parent that ends normally has already joined or
terminated its children, so the thread never fires then.
"""

from __future__ import annotations

import os
import sys
import threading

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import ModuleType
    from typing import Any

#: Seconds between SIGTERM and SIGKILL for a child whose parent has died.
GRACE = 3.0


def watch(parent_sentinel: int) -> None:
    """In a child: end this process when the parent behind ``parent_sentinel`` dies.

    Everything the watching thread needs is imported here, before it starts: a daemon
    thread that is still importing when a short-lived child exits can crash or hang the
    interpreter's shutdown (seen as a child that died of SIGSEGV, and one that never ended).
    """
    from procrun.imports import import_unshadowed

    signal = import_unshadowed("signal")
    if sys.platform == "win32":
        _watch_handle(parent_sentinel, signal)
        return
    try:
        descriptor = os.dup(parent_sentinel)  # ours: the child may close the original
    except OSError:
        return
    from procrun.watcher import Watcher

    def on_readable(ready: list[int]) -> bool:
        if not ready:
            return True
        os.kill(os.getpid(), signal.SIGTERM)
        if not watcher.stopping.wait(GRACE):
            os.kill(os.getpid(), signal.SIGKILL)
        return True  # if stopped for a fork meanwhile: the sentinel says so again after it

    watcher = Watcher("procrun-parent-watch", [descriptor], on_readable)
    watcher.start()


def _watch_handle(handle: Any, signal: ModuleType) -> None:
    """Windows: the sentinel is a process handle (``spawn.spawn_main`` opens the parent with
    SYNCHRONIZE access), signalled when the parent ends; there is no fork to step aside for.

    SIGTERM cannot be sent there (``os.kill`` is ``TerminateProcess``), so the child's own
    SIGTERM handler, if it has one in Python, is run in its main thread as a kill would run
    it elsewhere, and the process is terminated after :data:`GRACE` seconds all the same."""
    import _thread
    from multiprocessing.connection import wait

    own = _own_handle(handle)

    def wait_then_end() -> None:
        try:
            wait([own])
        except (OSError, ValueError):
            return
        if callable(signal.getsignal(signal.SIGTERM)):
            _thread.interrupt_main(signal.SIGTERM)
            threading.Event().wait(GRACE)
        os.kill(os.getpid(), signal.SIGTERM)  # TerminateProcess(self, 15) on Windows

    threading.Thread(target=wait_then_end, name="procrun-parent-watch", daemon=True).start()


def _own_handle(handle: Any) -> Any:
    """A handle of our own to the same process: the child may close the original."""
    if sys.platform != "win32":  # a test standing a descriptor in for the handle
        return handle
    import _winapi

    current = _winapi.GetCurrentProcess()
    try:
        return _winapi.DuplicateHandle(
            current, handle, current, 0, False, _winapi.DUPLICATE_SAME_ACCESS
        )
    except OSError:
        return handle
