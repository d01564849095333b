"""Every process of a script's tree ends when the tree's *root* ends, so that none outlives it.

The root is the process procrun runs the script in: the launcher's, or a frozen app's main
process (both run the script through :mod:`procrun.launcher`, which calls :func:`mark_root`).
It names itself in the environment (:data:`ENV_ROOT`), and every descendant inherits that name
under every start method: spawn and fork children get their parent's environment, forkserver
children the fork server's, which a process of the tree started. A ``procrun`` that the script
runs as a subprocess marks itself in turn: it is the root of a tree of its own. A plain
``python`` that the script runs is no part of any tree: neither it nor its children run
procrun's code, so nothing watches there.

Each child waits, in one daemon thread, on the cheapest thing that says the root has ended:

- Linux: a pidfd of the root (``os.pidfd_open``), readable once the root has exited;
- macOS: a kqueue holding the root's ``NOTE_EXIT`` (``KQ_FILTER_PROC``), readable then too;
- Windows: a handle to the root (``OpenProcess`` with SYNCHRONIZE access), signalled then.

On POSIX the thread is a :class:`procrun.watcher.Watcher`, which steps aside whenever the
child forks. Once the root has ended (SIGKILL, a crash, or any end that left a descendant
behind), the thread ends its child with SIGTERM, as ``kill`` would, and with SIGKILL if the
child is still there :data:`GRACE` seconds later; on Windows, through the child's own SIGTERM
handler if it has one, then as Windows ends processes. So killing the root ends the whole tree
at once, each process on its own.

Why the root and not the immediate parent: inside the tree this keeps Python's semantics.
Under ``python`` a child whose parent is terminated lives on and sees
``multiprocessing.parent_process().is_alive()`` turn False (CPython's ``test_parent_process``
tests exactly that); a thread that ended every child with its parent won that race and ended
the grandchild first. Now a terminated child's children carry on, as under ``python``, until
the root ends.

Where the root cannot be watched (a Linux kernel before 5.3, where ``pidfd_open`` fails; a
sandbox that forbids it; no mark in the environment), a child falls back to watching its
immediate parent, through the parent sentinel ``multiprocessing`` gives it (a descriptor that
becomes readable when the parent is gone; on Windows a handle to the parent): the tree then
still ends when the root is killed, generation by generation, but a terminated child takes
its children with it.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import ModuleType
    from typing import Any

#: Seconds between SIGTERM and SIGKILL for a child whose root has ended.
GRACE = 3.0
#: The environment variable naming the root: its pid, and on Linux ``:`` its start time.
ENV_ROOT = "PROCRUN_ROOT"
#: Windows' ERROR_INVALID_PARAMETER: what OpenProcess fails with for a pid nobody has.
_NO_SUCH_PROCESS = 87


class _Gone:
    """What opening the root gives when the root has ended already."""


GONE = _Gone()

#: (pid of the process that opened them, the descriptors its watch closes when it forks):
#: a forked child finds its parent's here and closes them as the fork returns.
_watching: tuple[int, list[int]] | None = None
#: kqueues this process watches with, kept for good: its fork children have no copy of the
#: queue, and a kqueue object that is garbage collected there would close whatever descriptor
#: now has its number.
_kqueues: list[Any] = []


def mark_root() -> None:
    """In the root (the launcher, a frozen app's main process): name this process in the
    environment as the root that every process of its tree watches."""
    pid = os.getpid()
    start = _start_time(pid)
    os.environ[ENV_ROOT] = str(pid) if start is None else f"{pid}:{start}"


def watch(parent_sentinel: Any) -> None:
    """In a child: end this process when the root of its tree ends (where the root cannot be
    watched: when the parent behind ``parent_sentinel`` ends).

    Everything the watching thread needs is imported here, before it starts: a daemon
    thread that is still importing when a short-lived child exits can crash or hang the
    interpreter's shutdown (seen as a child that died of SIGSEGV, and one that never ended).
    """
    from procrun.imports import import_unshadowed

    signal = import_unshadowed("signal")
    root = _root_from_environment()
    if sys.platform == "win32":
        _watch_on_windows(parent_sentinel, root, signal)
    else:
        _watch_on_posix(parent_sentinel, root, signal)


def _root_from_environment() -> tuple[int, str | None] | None:
    """(pid, start time or None) of the root :func:`mark_root` named; None without a mark."""
    pid, _, start = os.environ.get(ENV_ROOT, "").partition(":")
    if not pid.isdigit():
        return None
    return int(pid), start or None


def _watch_on_posix(
    parent_sentinel: int, root: tuple[int, str | None] | None, signal: ModuleType
) -> None:
    global _watching
    if sys.platform == "win32":  # no descriptors to wait on there (and no fork)
        return
    opened = _open_root(*root) if root is not None else None
    if opened is None:  # the parent, then
        try:
            descriptors = [os.dup(parent_sentinel)]  # ours: the child may close the original
        except OSError:
            return
    else:
        descriptors = [] if isinstance(opened, _Gone) else [opened]
    # A fork child inherits a pidfd and a descriptor (and closes them), never a kqueue.
    inherited = opened is None or sys.platform == "linux"
    _watching = (os.getpid(), descriptors if inherited else [])
    ended = isinstance(opened, _Gone)
    from procrun.watcher import Watcher

    def on_readable(ready: list[int]) -> bool:
        if not ready and not ended:
            return True
        os.kill(os.getpid(), signal.SIGTERM)
        if not watcher.stopping.wait(GRACE):
            os.kill(os.getpid(), signal.SIGKILL)
        return True  # if stopped for a fork meanwhile: the descriptor says so again after it

    watcher = Watcher("procrun-parent-watch", descriptors, on_readable)
    watcher.start()


def _close_inherited() -> None:
    """In a child forked from a watching process: close that process's watch descriptors.

    It runs as the fork returns in the child, while the numbers are surely still the watch's:
    a plain ``os.fork()`` child that closes descriptors and opens its own may be given those
    numbers, and its multiprocessing children must not close them for it."""
    global _watching
    if _watching is None or _watching[0] == os.getpid():
        return
    inherited, _watching = _watching[1], None
    for descriptor in inherited:
        try:
            os.close(descriptor)
        except OSError:
            pass


if sys.platform != "win32":  # Windows has no fork
    os.register_at_fork(after_in_child=_close_inherited)


def _open_root(pid: int, start: str | None) -> int | _Gone | None:
    """POSIX: a descriptor that becomes readable when the root ``pid`` ends; :data:`GONE`
    if it has ended already; None where this system cannot watch it.

    A pid names a process only until that process has ended and been reaped; then the system
    may give the number to a new one. The mark names the root of this very tree (this
    process's environment comes from it), so ``pid`` can name another process only if the
    root ended and its number was given out again before this process opened it: only a
    process whose start raced the root's end, since every watch ends its process within
    :data:`GRACE` of that end. Linux gives pids out in turn, but its pid space can be as
    small as 32,768, which a busy machine goes round in seconds: so the mark carries the
    root's start time, checked after the pidfd is open (see :func:`_open_pidfd`). macOS gives
    pids out in turn up to 99,999 and has no ``/proc``: ``pid`` is trusted (going round takes
    far longer than that race lasts).
    """
    if sys.platform == "win32":
        return None
    if sys.platform == "linux":
        return _open_pidfd(pid, start)
    return _open_kqueue(pid)


def _open_pidfd(pid: int, start: str | None) -> int | _Gone | None:
    """Linux: a pidfd of the root, checked to be the root's.

    The start time is read after the pidfd is open. If it is the root's, the root held
    ``pid`` at that moment, and since it started before this process, it held it at the
    open too: the pidfd is the root's. If it is another's, the root has been reaped since it
    marked itself: it is gone. If it cannot be read (``/proc`` missing, or the root reaped
    just now), the pidfd stands: it says itself whether its process has ended.
    """
    pidfd_open = getattr(os, "pidfd_open", None)
    if pidfd_open is None:  # a Python built without it
        return None
    try:
        descriptor: int = pidfd_open(pid)
    except ProcessLookupError:
        return GONE
    except OSError:  # ENOSYS: a kernel before 5.3; EPERM: a sandbox forbids it
        return None
    if start is not None and _start_time(pid) not in (start, None):
        os.close(descriptor)
        return GONE
    return descriptor


def _start_time(pid: int) -> str | None:
    """Linux: when process ``pid`` started (clock ticks after boot, field 22 of
    ``/proc/PID/stat``): with the pid, it names one process for good. None elsewhere."""
    if sys.platform != "linux":
        return None
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rpartition(b")")[2].split()  # the name may hold ") "
    except OSError:
        return None
    return fields[19].decode() if len(fields) > 19 else None


def _open_kqueue(pid: int) -> int | _Gone | None:
    """macOS (and the BSDs): a kqueue that holds the root's exit, as a descriptor that
    becomes readable once the root has exited (poll and select see a kqueue's pending
    events). Registering fails with ESRCH for a pid nobody has."""
    import select

    if sys.platform == "linux" or sys.platform == "win32" or not hasattr(select, "kqueue"):
        return None
    queue = select.kqueue()
    exit_event = select.kevent(
        pid, filter=select.KQ_FILTER_PROC, flags=select.KQ_EV_ADD, fflags=select.KQ_NOTE_EXIT
    )
    try:
        queue.control([exit_event], 0, 0)
    except ProcessLookupError:
        queue.close()
        return GONE
    except OSError:
        queue.close()
        return None
    _kqueues.append(queue)
    return queue.fileno()


def close_root(descriptor: int) -> None:
    """Close what :func:`_open_root` gave, when this process watches the root no more: a
    pidfd as any descriptor, a kqueue through the object kept for it (closed any other way,
    the object would later close whatever descriptor has its number)."""
    for queue in _kqueues:
        if not queue.closed and queue.fileno() == descriptor:
            _kqueues.remove(queue)
            queue.close()
            return
    os.close(descriptor)


# -- Windows ---------------------------------------------------------------------------------


def _watch_on_windows(
    parent_sentinel: Any, root: tuple[int, str | None] | None, signal: ModuleType
) -> None:
    handle = _open_root_handle(root[0]) if root is not None else None
    if handle is None:
        _watch_handle(parent_sentinel, signal)
    else:
        _watch_handle(None if isinstance(handle, _Gone) else handle, signal, ours=True)


def _open_root_handle(pid: int) -> Any:
    """Windows: a handle to the root that is signalled when it ends; :data:`GONE` if no
    process has ``pid``; None if it cannot be opened.

    Windows gives pids out again soon, but never while a handle to the process is open;
    every process of the tree holds one to the root for as long as it lives, and this one's
    parent opened its own before it started this one: ``pid`` is trusted.
    """
    if sys.platform != "win32":
        return None
    import _winapi

    try:
        return _winapi.OpenProcess(_winapi.SYNCHRONIZE, False, pid)
    except OSError as error:
        return GONE if getattr(error, "winerror", None) == _NO_SUCH_PROCESS else None


def _watch_handle(handle: Any, signal: ModuleType, ours: bool = False) -> None:
    """Windows: wait on a process handle (the root's, or the parent sentinel: spawn's
    ``spawn_main`` opens the parent with SYNCHRONIZE access), signalled when that process
    ends; None: it has ended. There is no fork to step aside for. ``ours``: the handle is
    this module's own, not one the child may close.

    SIGTERM cannot be sent there (``os.kill`` is ``TerminateProcess``), so the child's own
    SIGTERM handler, if it has one in Python, is run in its main thread as a kill would run
    it elsewhere, and the process is terminated after :data:`GRACE` seconds all the same."""
    import _thread
    import threading
    from multiprocessing.connection import wait

    own = handle if ours or handle is None else _own_handle(handle)

    def wait_then_end() -> None:
        if own is not None:
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
