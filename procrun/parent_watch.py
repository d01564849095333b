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
import threading

#: Seconds between SIGTERM and SIGKILL for a child whose parent has died.
GRACE = 3.0


def watch(parent_sentinel: int) -> None:
    """In a child: end this process when the parent behind ``parent_sentinel`` dies."""
    try:
        descriptor = os.dup(parent_sentinel)  # ours: the child may close the original
    except OSError:
        return
    thread = threading.Thread(
        target=_end_when_readable, args=(descriptor,), name="procrun-parent-watch", daemon=True
    )
    thread.start()


def _end_when_readable(descriptor: int) -> None:
    from multiprocessing.connection import wait

    from procrun.imports import import_unshadowed

    signal = import_unshadowed("signal")
    try:
        wait([descriptor])
    except (OSError, ValueError):
        return
    os.kill(os.getpid(), signal.SIGTERM)
    threading.Event().wait(GRACE)
    os.kill(os.getpid(), signal.SIGKILL)
