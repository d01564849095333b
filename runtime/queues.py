"""Queues: ``processing``'s Queue and BufferedQueue on top of ``multiprocessing.Queue``.

Both are ``multiprocessing.Queue`` (a pipe, fed by a thread of the process that puts) with
the old names as well (``putMany``, ``putNoWait``, ``getNoWait``, ``joinThread``,
``cancelJoin``). What the programming guidelines ask of queues is behaviour here:

- ``Queue`` does not guarantee that put() succeeds without blocking: with a ``maxsize`` it
  blocks when full, and without one ``multiprocessing`` still bounds it by the platform's
  semaphore maximum (32,767 unread items on macOS). ``BufferedQueue`` has no bound at all:
  its put() always returns at once, whatever the consumers do.
- A Lock, Queue or shared value put on a queue raises ``InheritanceOnlyError`` in the caller
  (``multiprocessing`` would print a traceback from its feeder thread and drop the item);
  inside another object (``q.put((lock, 1))``) it is dropped with the fix on stderr.
- ``install_join_watch()`` makes ``Process.join()`` warn when it waits for a child that
  cannot end because the items it put on a queue are still unread: get() them before join().
  It also names the queue when this process's own exit waits for the same reason
  (``processing.exit_watch``).

The 0.3x names are here too: ``PipeQueue`` and ``BufferedPipeQueue`` (the same queues under
their first names) and ``putmany``; ``Empty`` and ``Full`` are the standard ``queue``'s, which
get() and put() raise.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection as _mp_connection
import multiprocessing.queues as _mp_queues
import select
import sys
import time
import types
import weakref
from multiprocessing.process import BaseProcess
from queue import Empty, Full  # what get() and put() raise, as processing documented

from . import exit_watch
from .connection import InheritanceOnlyError, inherit_only_type, refusal_kind, refusal_message
from .connection import _safe as _safe_types
from .console import say

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs start-up time in every child, so only for the type checker
    from collections.abc import Callable, Iterable, Iterator
    from multiprocessing.context import BaseContext
    from typing import Any

    _QueueBase = _mp_queues.Queue[Any]
    _Join = Callable[[BaseProcess, "float | None"], None]
else:
    _QueueBase = _mp_queues.Queue

__all__ = [
    "BufferedPipeQueue",
    "BufferedPosixQueue",
    "BufferedQueue",
    "Empty",
    "Full",
    "PipeQueue",
    "PosixQueue",
    "Queue",
    "SimpleQueue",
    "install_join_watch",
    "watch_join",
    "watch_start",
]


# put() is on the producer's critical path: call multiprocessing's without super()'s look-up
_base_put = _QueueBase.put


class Queue(_QueueBase):
    """A process-shared FIFO queue; its put() may block (with a maxsize, when it is full)."""

    def __init__(self, maxsize: int = 0, ctx: BaseContext | None = None) -> None:
        if not isinstance(maxsize, int) or isinstance(maxsize, bool):
            raise TypeError(
                f"{type(self).__name__}(maxsize): maxsize must be an int (0 for no bound), "
                f"not {maxsize!r}"
            )
        super().__init__(maxsize, ctx=_context(ctx, "Queue(maxsize, ctx)"))

    def put(self, obj: Any, block: bool = True, timeout: float | None = None) -> None:
        """Put ``obj`` on the queue; a Lock, Queue or shared value raises InheritanceOnlyError."""
        # Only obj itself is looked at: searching tuples too cost producers of small tuples
        # 5-8% of their throughput. Deeper, the feeder thread reports the refusal and drops
        # the item, as multiprocessing does, but with the fix (_on_queue_feeder_error).
        cls = type(obj)
        if cls not in _safe_types:  # most items: a single set look-up
            kind = inherit_only_type(cls)
            if kind is not None:
                raise InheritanceOnlyError(refusal_message(kind, "put on a queue"))
        _base_put(self, obj, block, timeout)

    def qsize(self) -> int:
        """The approximate number of items in the queue (NotImplementedError on macOS)."""
        try:
            return super().qsize()
        except NotImplementedError:
            raise NotImplementedError(_NO_QSIZE) from None

    def putMany(self, iterable: Iterable[Any]) -> None:
        """Put each item of ``iterable`` on the queue, in order."""
        put = self.put
        for obj in iterable:
            put(obj)

    def putNoWait(self, obj: Any) -> None:
        """Put ``obj`` if that needs no waiting, else raise queue.Full (put_nowait)."""
        self.put(obj, False)

    def getNoWait(self) -> Any:
        """Get an item if one is there now, else raise queue.Empty (get_nowait)."""
        return self.get(False)

    def joinThread(self) -> None:
        """After close(): wait until everything put by this process is in the pipe (join_thread)."""
        self.join_thread()

    def cancelJoin(self) -> None:
        """Let this process exit without flushing what it put; unread items may be lost."""
        self.cancel_join_thread()

    # processing 0.3x spelt these in lower case (0.52 kept them, deprecated)
    putmany = putMany
    jointhread = joinThread
    canceljoin = cancelJoin

    @staticmethod
    def _on_queue_feeder_error(e: BaseException, obj: object) -> None:
        # Called in the feeder thread when pickling an item failed; multiprocessing prints a
        # traceback. An inherit-only object inside the item gets the fix instead.
        kind = refusal_kind(e, obj)
        if kind is not None:
            reason = refusal_message(kind, "put on a queue, even inside another object")
        elif isinstance(e, RuntimeError) and "inheritance" in str(e):  # processing.sharedmem's
            reason = str(e)
        else:
            _QueueBase._on_queue_feeder_error(e, obj)  # type: ignore[attr-defined]
            return
        say(
            f"processing: a {type(obj).__name__} put on a queue was dropped. "
            f"{reason[0].upper()}{reason[1:]}\n"
        )


class BufferedQueue(Queue):
    """A queue whose put() and putMany() always succeed without blocking, whatever the consumers do.

    Unbounded: items wait in the putting process until the pipe takes them, so a producer can
    put any number of tasks before a consumer exists. ``put``'s ``block`` and ``timeout``
    are accepted and have nothing to do; ``full()`` is always False.
    """

    def __init__(self, ctx: BaseContext | None = None) -> None:
        if isinstance(ctx, int):
            raise TypeError(
                f"BufferedQueue({ctx!r}): a BufferedQueue has no maxsize (it is unbounded, so "
                f"that put() never blocks). For a bounded queue use Queue(maxsize)."
            )
        ctx = _context(ctx, "BufferedQueue(ctx)")
        super().__init__(0, ctx)
        # put() acquires and get() releases this; multiprocessing's BoundedSemaphore blocks
        # put() when it reaches zero, this counter never does.
        self._sem = _ItemCount(ctx)

    def qsize(self) -> int:
        """The approximate number of items in the queue (NotImplementedError on macOS)."""
        return self._sem.value()

    def full(self) -> bool:
        """Always False: a BufferedQueue is never full."""
        return False


class PosixQueue(Queue):
    """PosixQueue (processing 0.34-0.39): a Queue; ``msgsize`` bounds each item's size.

    0.3x put its items on a POSIX message queue, whose messages have a maximum length; here
    they go through the same pipe as a Queue's, on every platform. ``msgsize``, if not zero,
    is still the bound the documentation gives: an item whose pickle is longer raises
    ValueError in put(), as the message queue did, and nothing is put.
    """

    def __init__(self, maxsize: int = 0, msgsize: int = 0, ctx: BaseContext | None = None) -> None:
        if not isinstance(msgsize, int) or isinstance(msgsize, bool) or msgsize < 0:
            raise TypeError(
                f"PosixQueue(msgsize): msgsize must be a number of bytes (0 for no bound), "
                f"not {msgsize!r}"
            )
        super().__init__(maxsize, ctx)
        self._msgsize = msgsize

    def put(self, obj: Any, block: bool = True, timeout: float | None = None) -> None:
        """Put ``obj`` on the queue; ValueError if its pickle is longer than ``msgsize``."""
        if self._msgsize:
            from multiprocessing.reduction import ForkingPickler

            size = len(ForkingPickler.dumps(obj))
            if size > self._msgsize:
                raise ValueError(
                    f"PosixQueue.put: the item pickles to {size} bytes, more than this "
                    f"queue's msgsize of {self._msgsize}"
                )
        super().put(obj, block, timeout)

    # multiprocessing's state is a tuple of the queue's parts; the bound travels beside it.
    def __getstate__(self) -> Any:
        return super().__getstate__(), self._msgsize

    def __setstate__(self, state: Any) -> None:
        base, self._msgsize = state
        super().__setstate__(base)


class BufferedPosixQueue(BufferedQueue):
    """BufferedPosixQueue (processing 0.35-0.37): a BufferedQueue, whose put() never blocks
    (0.3x's on a POSIX message queue; here the same pipe on every platform)."""


class PipeQueue(Queue):
    """PipeQueue (processing 0.3x): a Queue, which is carried by a pipe; put() may block."""


class BufferedPipeQueue(BufferedQueue):
    """BufferedPipeQueue (processing 0.3x): a BufferedQueue, whose put() never blocks."""


#: Why qsize() fails on macOS, whose named semaphores have no sem_getvalue().
_NO_QSIZE = (
    "qsize() is not available on this platform: its semaphores cannot tell their value "
    "(macOS has no sem_getvalue()). Use empty() to learn whether items are waiting, or "
    "count the items you put and get."
)


def SimpleQueue(ctx: BaseContext | None = None) -> Any:
    """SimpleQueue: a pipe and a lock, with put(), get() and empty() (0.39; 0.52's
    ``processing.queue``): multiprocessing's own, of the default start method."""
    return _context(ctx, "SimpleQueue(ctx)").SimpleQueue()


def _context(ctx: BaseContext | None, call: str) -> BaseContext:
    if ctx is None:
        return multiprocessing.get_context()  # the default start method's, as multiprocessing
    if not hasattr(ctx, "get_start_method"):
        raise TypeError(
            f"{call}: ctx must be a multiprocessing context such as "
            f"multiprocessing.get_context('spawn'), not {ctx!r}"
        )
    return ctx


class _ItemCount:
    """Stands in for Queue's BoundedSemaphore in BufferedQueue: counts, never blocks."""

    def __init__(self, ctx: BaseContext) -> None:
        self._count = ctx.Semaphore(0)

    def acquire(self, block: bool = True, timeout: float | None = None) -> bool:
        """put(): one item more. Returns at once."""
        try:
            self._count.release()
        except (ValueError, OSError):  # past the platform's semaphore maximum: qsize undercounts
            pass
        return True

    def release(self) -> None:
        """get(), or a put() whose item could not be pickled: one item fewer."""
        self._count.acquire(False)

    def value(self) -> int:
        try:
            return int(self._count._semlock._get_value())  # type: ignore[attr-defined]
        except NotImplementedError:
            raise NotImplementedError(_NO_QSIZE) from None


# -- get() before join() -----------------------------------------------------------------

#: Seconds join() waits on a running child before it looks at the queues the child was
#: given, and between two looks.
JOIN_GRACE = 1.0
#: Containers and objects with more items than this are not looked into at start().
_SCAN_LIMIT = 64
#: Marks the wrappers, so that installing twice wraps once.
_WATCHING = "_processing_watches_queues"


class _Given:
    """What the join watch knows of one child: the queues it was given, whether it has put
    anything on a queue since, and if it warned."""

    __slots__ = ("put", "queues", "warned")

    def __init__(
        self, queues: list[weakref.ref[_mp_queues.Queue[Any]]], put: _PutFlag | None
    ) -> None:
        self.queues = queues
        self.put = put
        self.warned = False


class _PutFlag:
    """Set by a child when it first puts an item on a queue (any queue).

    Lives on the Process object, so it reaches the child with it: inherited under fork,
    pickled under spawn and forkserver. A semaphore, so that the parent can read it from
    outside (and without ``sem_getvalue``, which macOS lacks).
    """

    __slots__ = ("_semaphore",)

    def __init__(self, semaphore: Any) -> None:
        self._semaphore = semaphore

    def set(self) -> None:
        try:
            self._semaphore.release()
        except (ValueError, OSError):
            pass

    def is_set(self) -> bool:
        if not self._semaphore.acquire(False):
            return False
        self._semaphore.release()
        return True

    def __reduce__(self) -> tuple[Any, ...]:
        return (_put_flag_in_child, (self._semaphore,))


def _put_flag_in_child(semaphore: Any) -> _PutFlag:
    # Unpickled in a spawned child, with its Process object: its puts are noted from now on.
    _note_puts()
    return _PutFlag(semaphore)


#: The Process attribute that carries the flag to the child.
_PUT_FLAG = "_processing_put_flag"


def _note_puts() -> None:
    """Make a process's first put() on each queue set its flag, if it has one (wraps the
    method that starts a queue's feeder thread, which the first put() calls)."""
    queue_class: Any = _mp_queues.Queue
    start_thread = queue_class._start_thread
    if getattr(start_thread, _WATCHING, False):
        return

    def start_thread_noting_puts(self: Any) -> None:
        flag = getattr(multiprocessing.current_process(), _PUT_FLAG, None)
        if flag is not None:
            flag.set()
        start_thread(self)

    queue_class._start_thread = exit_watch.marked_wrapper(
        start_thread_noting_puts, start_thread, _WATCHING
    )


def _put_flag_for(process: BaseProcess) -> _PutFlag | None:
    """A flag for ``process`` to set, made in its start method's context; None if the
    platform cannot make one (then the join watch stays silent about it)."""
    method = getattr(process, "_start_method", None)
    context = multiprocessing.get_context(method) if method else multiprocessing.get_context()
    try:
        return _PutFlag(context.Semaphore(0))
    except (OSError, ValueError, ImportError):
        return None


#: Child -> _Given, kept beside the Process object: its own attributes travel with it to
#: spawned children, and weak references cannot be pickled.
_given: weakref.WeakKeyDictionary[BaseProcess, _Given] = weakref.WeakKeyDictionary()


def watch_start(start: Callable[[BaseProcess], None]) -> Callable[[BaseProcess], None]:
    """Wrap a Process.start so that it notes the queues the child is given, for watch_join.

    ``start()`` deletes the target and arguments from the Process object (bpo-30775), so
    this is the last moment to see them: arguments, keyword arguments, a bound method's
    instance, ``functools.partial`` arguments, the globals the target names, and the public
    attributes of a Process subclass, one level into containers and objects. Only weak
    references are kept.
    """
    if getattr(start, _WATCHING, False):
        return start
    _note_puts()  # forked children inherit it; spawned ones install it with their flag

    def watched_start(self: BaseProcess) -> None:
        _procrun_wrapper = True  # left out of the launcher's tracebacks
        try:
            queues = {id(q): q for q in _reachable_from(self) if isinstance(q, _mp_queues.Queue)}
            if queues:
                put = _put_flag_for(self)
                setattr(self, _PUT_FLAG, put)
                _given[self] = _Given([weakref.ref(q) for q in queues.values()], put)
        except Exception:  # an odd argument or Process subclass must not stop the start
            pass
        start(self)

    return exit_watch.marked_wrapper(watched_start, start, _WATCHING)


def watch_join(join: _Join) -> _Join:
    """Wrap a Process.join so that it warns once if the child cannot end: get() before join().

    A process that has put items on a queue does not end until the items are in the pipe,
    so a parent that joins it before getting them waits forever once the pipe is full (the
    guidelines' deadlock). While ``join()`` waits for a child that is still running after
    ``JOIN_GRACE`` seconds, the child has put items on a queue, and a queue it was given
    (noted by ``watch_start``) holds items that the joining process did not put itself, a
    RuntimeWarning names the process and says to get() the items first; join() then goes on
    waiting. The grace is measured: a ``join(timeout)`` that returns early (the child has
    ended, and another thread has reaped it) is no wait that lasted it. A child that merely
    holds a queue (a consumer, a sleeper) is no cause. Joining a child that has ended costs
    what it did before.
    """
    if getattr(join, _WATCHING, False):
        return join

    def watched_join(self: BaseProcess, timeout: float | None = None) -> None:
        _procrun_wrapper = True  # left out of the launcher's tracebacks
        popen: Any = getattr(self, "_popen", None)
        if (
            popen is None
            or (timeout is not None and timeout <= JOIN_GRACE)
            or popen.poll() is not None  # reaps an ended child: join() then has nothing to do
            or _has_ended(popen.sentinel)  # it is ending
        ):
            return join(self, timeout)  # multiprocessing's join, and its errors
        began = time.monotonic()
        deadline = None if timeout is None else began + timeout
        while True:
            step = JOIN_GRACE if deadline is None else deadline - time.monotonic()
            join(self, max(0.0, min(step, JOIN_GRACE)))
            if self.exitcode is not None:
                return None
            if deadline is not None and time.monotonic() >= deadline:
                return None
            if _has_ended(popen.sentinel):
                # Ended, but reaped by another thread's poll (a start() in another thread
                # cleans up ended children): multiprocessing's join() returns early then, and
                # so does this one, instead of waiting again for nothing; first it gives that
                # poll a moment to record the exit code, which python's join() may miss.
                _await_returncode(popen)
                return None
            if time.monotonic() - began >= JOIN_GRACE:  # a wait that really lasted that long
                _warn_if_blocked_by_queue(self)

    return exit_watch.marked_wrapper(watched_join, join, _WATCHING)


def _await_returncode(popen: Any, seconds: float = 0.05) -> None:
    """Wait up to ``seconds`` for another thread to record the exit code of a child it
    reaped (nobody does if the child was reaped outside multiprocessing)."""
    deadline = time.monotonic() + seconds
    while getattr(popen, "returncode", 0) is None and time.monotonic() < deadline:
        time.sleep(0.001)


def install_join_watch(process_class: type[BaseProcess] | None = None) -> None:
    """Make Process.join() warn when its child cannot end until someone get()s its items.

    Wraps ``start`` and ``join`` of ``process_class`` (default: multiprocessing's
    BaseProcess, so every Process, processing's included); installing twice wraps once.
    Without a ``process_class`` (the whole program), this process's exit is watched too:
    when it waits on a queue nobody reads, the queue is named (``exit_watch.install``).
    """
    cls: Any = process_class if process_class is not None else BaseProcess
    cls.start = watch_start(cls.start)
    cls.join = watch_join(cls.join)
    if process_class is None:
        exit_watch.install()


# Whether a child whose popen.poll() said "running" has in fact ended: its sentinel is ready.
if sys.platform != "win32" and hasattr(select, "poll"):

    def _has_ended(sentinel: int) -> bool:
        # POSIX: the sentinel is a pipe's read end, readable once the child has exited. A
        # zero-timeout poll is the cheapest look (0.5 us against 2 us for connection.wait).
        poller = select.poll()
        poller.register(sentinel, select.POLLIN)
        return bool(poller.poll(0))

else:

    def _has_ended(sentinel: int) -> bool:
        # Windows: the sentinel is the child's process HANDLE, which select() cannot take and
        # wait() gives to WaitForMultipleObjects; a POSIX without poll() (some macOS builds):
        # wait() selects on the descriptor.
        return bool(_mp_connection.wait([sentinel], 0))


def _warn_if_blocked_by_queue(process: BaseProcess) -> None:
    try:
        given = _given.get(process)
    except TypeError:  # a Process subclass that cannot be hashed: never noted at start()
        return
    if given is None or given.warned:
        return  # given no queue, or warned already: once per process
    queue = _unread_queue(given)
    if queue is None:
        return
    given.warned = True
    import warnings

    warnings.warn(
        f"{process.name} (pid {process.pid}) has not ended after {JOIN_GRACE:g} s of join(), "
        f"and a {type(queue).__name__} it was given holds items nobody has read: a process "
        f"that put items on a queue cannot end until they are read, so this join() may "
        f"wait forever. get() the items before join().",
        RuntimeWarning,
        stacklevel=3,  # the caller of join()
    )


def _unread_queue(given: _Given) -> _mp_queues.Queue[Any] | None:
    if given.put is None or not given.put.is_set():
        return None  # the child put nothing: it is not waiting for anyone to read
    for ref in given.queues:
        queue = ref()
        if (
            queue is not None
            # the joining process put nothing on it (else the items may be the child's tasks)
            and getattr(queue, "_thread", None) is None
            and _holds_unread_items(queue)
        ):
            return queue
    return None


def _holds_unread_items(queue: _mp_queues.Queue[Any]) -> bool:
    try:
        return not queue.empty()
    except (OSError, ValueError):  # this process closed its reading end
        return False


def _reachable_from(process: BaseProcess) -> Iterator[object]:
    """What the child is given: arguments, attributes, the target's globals; one level in."""
    roots: list[object] = []
    target: Any = getattr(process, "_target", None)
    roots.extend(getattr(process, "_args", ()))
    roots.extend(getattr(process, "_kwargs", {}).values())
    roots.extend(value for name, value in vars(process).items() if not name.startswith("_"))
    while target is not None:
        roots.extend(getattr(target, "args", ()) or ())  # functools.partial
        roots.extend((getattr(target, "keywords", None) or {}).values())
        roots.append(getattr(target, "__self__", None))  # a bound method's instance
        code = getattr(target, "__code__", None)
        namespace = getattr(target, "__globals__", None)
        if code is not None and namespace is not None:
            roots.extend(namespace[name] for name in code.co_names if name in namespace)
        target = getattr(target, "func", None)
    for root in roots:
        yield root
        if isinstance(root, (tuple, list, set, frozenset, dict)):
            items: Any = root.values() if isinstance(root, dict) else root
        elif not isinstance(root, (type, types.ModuleType)) and hasattr(root, "__dict__"):
            items = vars(root).values()
        else:
            continue
        if len(items) <= _SCAN_LIMIT:  # a big data argument is no place for a queue
            yield from items
