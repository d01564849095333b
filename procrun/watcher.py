"""A helper thread that waits on descriptors, and is gone whenever its process forks.

procrun keeps one helper thread in the main process (the SIGTERM relay) and one in each
child (the parent watch). A process that forks while it has other threads makes Python
3.12+ warn ("This process is multi-threaded, use of fork() may lead to deadlocks in the
child"), and a fork really is only safe with one thread. So the helper steps aside: before
each fork it is told to stop and joined, after the fork it starts again in the parent; the
forked child has no copy of it (threads do not survive a fork) and lets its copy of the
object go quiet. Nothing is lost meanwhile: what arrived on the descriptors waits there.

Python 3.13 counts the threads after the fork hooks have run, so a helper restarted by
``after_in_parent`` is counted. There the helper restarts when ``os.fork()`` returns (the
module's ``fork`` is wrapped; multiprocessing calls it by that name), and from the hook
only for forks made some other way.

POSIX only: Windows has no fork, and its waits are on handles.
"""

from __future__ import annotations

import os
import select
import sys
import threading

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

if sys.platform == "win32":
    raise ImportError("procrun.watcher is for POSIX systems: Windows has no fork")

#: Whether the fork-with-threads warning counts threads started by ``after_in_parent``.
COUNTS_AFTER_HOOKS = sys.version_info >= (3, 13)

#: Seconds to wait, after a join, for the kernel to finish the thread's exit: Python 3.12
#: counts the process's threads from /proc, and join() returns a moment before that count
#: drops (3.13 joins the OS thread itself).
EXIT_WAIT = 0.05


class Watcher:
    """Call ``on_readable(ready)`` from a daemon thread named ``name`` whenever some of
    ``descriptors`` are readable (``ready`` lists them; ``[]`` on a restart after a fork),
    until it returns False. The callback may wait on :attr:`stopping`, which is set when the
    thread must stop for a fork; it should then return soon (its return value is ignored).
    """

    def __init__(
        self, name: str, descriptors: list[int], on_readable: Callable[[list[int]], bool]
    ) -> None:
        self.name = name
        self.descriptors = list(descriptors)
        self.on_readable = on_readable
        self.stopping = threading.Event()
        self._wake_read, self._wake_write = os.pipe()
        self._thread: threading.Thread | None = None
        self._finished = False  # the callback returned False: never start again
        self._paused = False
        self._pid = os.getpid()
        # Held from before a fork to after it: threads that fork at the same moment would
        # otherwise stop and restart the helper under each other (a join that never returns).
        self._fork_lock = threading.Lock()
        os.register_at_fork(
            before=self._before_fork,
            after_in_parent=self._after_fork_in_parent,
            after_in_child=self._after_fork_in_child,
        )
        if COUNTS_AFTER_HOOKS:
            _watchers.append(self)
            _wrap_fork()

    def start(self) -> None:
        self.stopping.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        descriptors = [self._wake_read, *self.descriptors]
        wait = _poller(descriptors)
        ready: list[int] = []
        while self.on_readable(ready):
            if self.stopping.is_set():
                return
            try:
                ready = wait()
            except (OSError, ValueError):
                break
            if self._wake_read in ready:  # woken to stop
                ready.remove(self._wake_read)
                os.read(self._wake_read, 64)
                if self.stopping.is_set():
                    return
        self._finished = True

    def _before_fork(self) -> None:
        self._fork_lock.acquire()
        thread = self._thread
        if os.getpid() != self._pid or thread is None or thread is threading.current_thread():
            return
        if not thread.is_alive():
            return
        self.stopping.set()
        os.write(self._wake_write, b"\0")
        thread.join()
        self._paused = True
        _wait_for_exit(thread.native_id)

    def _after_fork_in_parent(self) -> None:
        try:
            if not getattr(_forking, "wrapped", False):
                self._resume()
        finally:
            self._fork_lock.release()

    def _resume(self) -> None:
        if self._paused:
            self._paused = False
            if not self._finished:
                self.start()

    def _resume_after_fork(self) -> None:
        with self._fork_lock:
            if os.getpid() == self._pid:
                self._resume()

    def _after_fork_in_child(self) -> None:
        self._fork_lock = threading.Lock()  # the parent's is held by the forking thread
        # This process's copy of a helper that lives on in the parent: quiet for good.
        if os.getpid() != self._pid and self._thread is not None:
            self._thread = None
            self._paused = False
            for descriptor in (self._wake_read, self._wake_write):
                try:
                    os.close(descriptor)
                except OSError:
                    pass


#: Watchers to restart when a wrapped ``os.fork()`` returns in the parent.
_watchers: list[Watcher] = []
#: ``wrapped`` is True in a thread while it is inside the wrapped ``os.fork()``.
_forking = threading.local()


def _wrap_fork() -> None:
    """Make ``os.fork`` restart the paused helpers once it has returned (Python 3.13+)."""
    fork = os.fork
    if getattr(fork, "_procrun_restarts_helpers", False):
        return

    def fork_then_restart_helpers() -> int:
        _forking.wrapped = True
        pid = -1
        try:
            pid = fork()
        finally:
            _forking.wrapped = False
            if pid != 0:
                for watcher in list(_watchers):
                    watcher._resume_after_fork()
        return pid

    fork_then_restart_helpers.__doc__ = fork.__doc__
    fork_then_restart_helpers._procrun_restarts_helpers = True  # type: ignore[attr-defined, unused-ignore]
    os.fork = fork_then_restart_helpers


def _poller(descriptors: list[int]) -> Callable[[], list[int]]:
    """A function that waits until some of ``descriptors`` are readable and lists them:
    ``poll`` where the system has it, ``select`` where it does not (some macOS builds)."""
    if hasattr(select, "poll"):
        poller = select.poll()
        for descriptor in descriptors:
            poller.register(descriptor, select.POLLIN)
        return lambda: [descriptor for descriptor, _ in poller.poll()]
    return lambda: select.select(descriptors, [], [])[0]


def _wait_for_exit(native_id: int | None) -> None:
    if native_id is None or not sys.platform.startswith("linux"):
        return
    task = f"/proc/self/task/{native_id}"
    pause = threading.Event()
    waited = 0.0
    while os.path.exists(task) and waited < EXIT_WAIT:
        pause.wait(0.0002)
        waited += 0.0002
