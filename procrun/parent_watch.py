"""Children end when their parent dies, so that no process a script starts outlives it.

``multiprocessing`` gives every child a sentinel: a descriptor that becomes readable when the
parent is gone (under spawn and fork, a pipe whose write end only the parent holds; under
forkserver, the parent's socket). A daemon thread in each child waits on it. If the parent dies
first (SIGKILL, SIGTERM, a crash), the thread ends the child with SIGTERM, as ``kill`` would,
and with SIGKILL if the child is still there a few seconds later. The child's own children
notice in turn, so whole trees go. A parent that ends normally has already joined or
terminated its children, so the thread never fires then.
"""

from __future__ import annotations

import os
import sys
import threading

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: Seconds between SIGTERM and SIGKILL for a child whose parent has died.
GRACE = 3.0


def watch(parent_sentinel: int) -> None:
    """In a child: end this process when the parent behind ``parent_sentinel`` dies.

    Everything the watching thread needs is imported here, before it starts: a daemon
    thread that is still importing when a short-lived child exits can crash or hang the
    interpreter's shutdown (seen as a child that died of SIGSEGV, and one that never ended).
    """
    if sys.platform == "win32":
        return  # the sentinel is a process handle there, not a descriptor to poll
    try:
        descriptor = os.dup(parent_sentinel)  # ours: the child may close the original
    except OSError:
        return
    import select

    from procrun.imports import import_unshadowed

    signal = import_unshadowed("signal")
    poller = select.poll()
    poller.register(descriptor, select.POLLIN)
    thread = threading.Thread(
        target=_end_when_readable,
        args=(poller, signal.SIGTERM, signal.SIGKILL),
        name="procrun-parent-watch",
        daemon=True,
    )
    thread.start()


def _end_when_readable(poller: Any, sigterm: int, sigkill: int) -> None:
    try:
        poller.poll()  # until the parent's end of the pipe or socket is gone
    except (OSError, ValueError):
        return
    os.kill(os.getpid(), sigterm)
    threading.Event().wait(GRACE)
    os.kill(os.getpid(), sigkill)
