"""The exit watch: an exit that waits forever on a queue nobody reads gets named.

A process that put items on a ``multiprocessing.Queue`` does not exit until the queue's
feeder thread has written them all into the queue's pipe: multiprocessing's exit function
joins that thread (``Queue._finalize_join``, which ``Queue._start_thread`` registers with
``util.Finalize(thread, Queue._finalize_join, [weakref.ref(thread)], exitpriority=-5)``, the
same in Python 3.10 to 3.13). When nobody reads the pipe and the items are more than it holds
(64 KiB on Linux), the thread never ends, and python hangs at exit without a word.

``install()`` makes that join, in the process that installs it, wait :data:`EXIT_GRACE`
seconds first; if the feeder is still alive then and has written no item meanwhile, one
message on stderr names the queue (the line that created it, in the warnings' format), the
items it still holds, and the two fixes. Then the exit waits as python's does: it is still a
hang, a named one, and Ctrl-C or SIGTERM end it as before.

Named only where the wait is this hang:

- only during the exit (``util.is_exiting()``): ``join_thread()`` called by the program is
  the program's own wait;
- only in the installing process: forked children inherit the wrapper but not the pid, and
  spawned ones never install it (a child stuck so is named in its parent by the join watch,
  ``processing.queues.watch_join``);
- a queue whose reader is a live child, however slow, is no cause: the exit function joins
  the children before it joins the feeders, so by then the readers have ended; a reader
  that still reads then (a daemon thread, a process that is not a child) takes items off
  the buffer, which counts as progress, and the watch waits another grace;
- ``SimpleQueue`` has no feeder thread: its put() writes into the pipe itself, so it blocks
  in put(), never at exit.

Where a queue was created is noted by ``Queue.__init__``: the first frame outside
multiprocessing, processing and procrun (the line of the user's code, whichever of
``multiprocessing.Queue()``, ``ctx.Queue()``, ``JoinableQueue()`` or ``processing.Queue()``
it called), kept as a (file, line) pair: about 0.75 us per queue, where creating one
costs 125 us (fork) to 220 us (spawn, whose semaphores the resource tracker registers).
"""

from __future__ import annotations

import functools
import multiprocessing
import multiprocessing.queues as _mp_queues
import multiprocessing.util as _mp_util
import os
import sys

from .console import say

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs start-up time in every child, so only for the type checker
    import threading
    import weakref
    from collections import deque
    from typing import Any

__all__ = ["EXIT_GRACE", "install"]

#: Seconds the exit waits on a queue's feeder thread before it names the queue.
EXIT_GRACE = 3.0

#: Marks the wrappers, so that installing twice wraps once.
_WATCHING = "_processing_watches_exit"
#: The queue attribute that holds where it was created: (file name, line number).
_CREATED_AT = "_processing_created_at"
#: The feeder thread attribute that holds what the message says of its queue.
_FEEDS = "_processing_feeds"
#: Modules whose frames are not "where the queue was created".
_INTERNAL = ("multiprocessing.", "processing.", "procrun.")

#: The process that installed the watch: the only one whose exit it names.
_watching_pid: int | None = None
#: Whether the message has been printed: once per process.
_named = False


def install() -> None:
    """Name the queue, once, when this process's exit waits on it for EXIT_GRACE seconds.

    Wraps multiprocessing's ``Queue.__init__`` (notes the creating line),
    ``Queue._start_thread`` (tells the feeder thread which queue it feeds) and
    ``Queue._finalize_join`` (the exit's wait). Affects queues whose first put() comes
    after this call; installing twice wraps once.
    """
    global _watching_pid
    _watching_pid = os.getpid()
    queue_class: Any = _mp_queues.Queue
    if getattr(queue_class._finalize_join, _WATCHING, False):
        return
    queue_class.__init__ = _noting_where_created(queue_class.__init__)
    queue_class._start_thread = _naming_the_feeder(queue_class._start_thread)
    queue_class._finalize_join = staticmethod(_watching_the_exit(queue_class._finalize_join))


def _noting_where_created(init: Any) -> Any:
    def init_noting_where(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        # The caller's frame, past multiprocessing.context, a subclass's __init__ in
        # multiprocessing or processing, and procrun's own wrappers.
        frame = sys._getframe(1)
        while frame.f_back is not None and str(frame.f_globals.get("__name__")).startswith(
            _INTERNAL
        ):
            frame = frame.f_back
        setattr(self, _CREATED_AT, (frame.f_code.co_filename, frame.f_lineno))

    return marked_wrapper(init_noting_where, init)


def _naming_the_feeder(start_thread: Any) -> Any:
    def start_thread_naming_the_feeder(self: Any) -> None:
        start_thread(self)
        thread = getattr(self, "_thread", None)
        if thread is not None:
            setattr(thread, _FEEDS, _Fed(self))

    return marked_wrapper(start_thread_naming_the_feeder, start_thread)


def _watching_the_exit(finalize_join: Any) -> Any:
    def finalize_join_watched(thread_ref: weakref.ref[threading.Thread]) -> None:
        thread = thread_ref()
        if (
            thread is not None
            and not _named
            and os.getpid() == _watching_pid
            and _mp_util.is_exiting()
        ):
            try:
                _wait_or_name(thread)
            except Exception:  # the watch must never change how the exit ends
                pass
        finalize_join(thread_ref)  # multiprocessing's: waits for as long as it takes

    return marked_wrapper(finalize_join_watched, finalize_join)


class _Fed:
    """What the message says of the queue a feeder thread feeds; not the queue itself, which
    may be gone by the exit (its items are still in the buffer, which the thread holds)."""

    __slots__ = ("buffer", "created_at", "kind")

    def __init__(self, queue: Any) -> None:
        self.kind: str = type(queue).__name__
        self.created_at: tuple[str, int] | None = getattr(queue, _CREATED_AT, None)
        self.buffer: deque[Any] = queue._buffer


def _wait_or_name(thread: threading.Thread) -> None:
    """Join ``thread`` EXIT_GRACE seconds at a time while a reader takes its items; name its
    queue once it is alive after a grace in which nobody took any."""
    global _named
    fed: _Fed | None = getattr(thread, _FEEDS, None)
    buffered = _buffered(fed)
    # At the first look the feeder may not have taken its first item off the buffer yet:
    # that item going is the feeder's doing, not a reader's.
    feeders_own = 1
    waited = 0.0
    while True:
        thread.join(EXIT_GRACE)
        if not thread.is_alive():
            return
        waited += EXIT_GRACE
        still_buffered = _buffered(fed)
        if still_buffered is None or buffered is None or buffered - still_buffered <= feeders_own:
            break
        buffered, feeders_own = still_buffered, 0  # a reader is taking them: wait on
    _named = True
    # The feeder holds one more: the item it is writing, which the pipe has no room for.
    say(_message(fed, None if still_buffered is None else still_buffered + 1, waited))


def _buffered(fed: _Fed | None) -> int | None:
    """Items put on the queue that its feeder has not taken off the buffer yet; None if
    unknown (a feeder started before install())."""
    if fed is None:
        return None
    sentinel = getattr(_mp_queues, "_sentinel", None)  # the close() mark, not an item
    return sum(1 for item in list(fed.buffer) if item is not sentinel)


def _message(fed: _Fed | None, waiting: int | None, waited: float) -> str:
    import warnings

    process = multiprocessing.current_process()
    kind = fed.kind if fed is not None else "queue"
    if waiting is None:
        items = "the items put on it are"
    elif waiting == 1:
        items = "1 item put on it is"
    else:
        items = f"{waiting} items put on it are"
    text = (
        f"{process.name} (pid {process.pid}) has waited {waited:g} s at exit for the {kind} "
        f"created here: {items} not in the queue's pipe yet, and nobody reads them. "
        f"A process that put items on a queue cannot exit until they are read, "
        f"so this exit may wait forever. get() the items before the program ends, or call "
        f"cancel_join_thread() on the queue to let the exit drop them."
    )
    created_at = fed.created_at if fed is not None else None
    if created_at is None:
        return f"RuntimeWarning: {text}\n"
    try:
        return warnings.formatwarning(text, RuntimeWarning, *created_at)
    except Exception:  # a program's own formatwarning that fails: the plain form
        return f"{created_at[0]}:{created_at[1]}: RuntimeWarning: {text}\n"


def marked_wrapper(wrapper: Any, wrapped: Any, mark: str = _WATCHING) -> Any:
    """``wrapper`` dressed as ``wrapped``, carrying ``mark`` so that it is installed once
    (the join watch in ``processing.queues`` marks its wrappers with its own name)."""
    functools.update_wrapper(wrapper, wrapped)
    setattr(wrapper, mark, True)
    return wrapper
