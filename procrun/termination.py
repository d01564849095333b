"""SIGTERM ends the script's whole process tree in order, then procrun itself.

Under plain python, SIGTERM kills the main process on the spot: its children live on (Pool
workers wait forever for tasks) and its named semaphores are left for the resource tracker.
procrun's main process instead terminates its children, runs multiprocessing's exit
finalizers (Pools, managers, semaphores), and then dies of SIGTERM as python would, so the
shell sees the same status. A script that sets its own SIGTERM handler keeps it.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import FrameType

#: Seconds to wait for terminated children before cleaning up anyway.
JOIN_TIMEOUT = 2.0


def install() -> None:
    """Handle SIGTERM in this (main) process, unless the script already handles it."""
    from procrun.imports import import_unshadowed

    signal = import_unshadowed("signal")
    if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _terminate_tree)


def uninstall() -> None:
    """In a forked child: SIGTERM kills it outright again, as it would under python."""
    import signal

    if signal.getsignal(signal.SIGTERM) is _terminate_tree:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _terminate_tree(signum: int, frame: FrameType | None) -> None:
    import signal
    import time
    from multiprocessing import active_children, util

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # First the finalizers that stop pools (so none starts new workers) and managers.
    util._run_finalizers(0)  # type: ignore[attr-defined]
    children = active_children()
    for child in children:
        child.terminate()
    deadline = time.monotonic() + JOIN_TIMEOUT
    for child in children:
        child.join(max(0.0, deadline - time.monotonic()))
    util._exit_function()  # type: ignore[attr-defined]
    die_by_signal("SIGTERM")


def die_by_signal(name: str) -> None:
    """End this process killed by the signal ``name`` ("SIGINT"), as python itself ends,
    so that the shell sees that status; what stdout and stderr hold is written first."""
    from procrun.imports import import_unshadowed

    signal = import_unshadowed("signal")
    signum = getattr(signal, name)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)
