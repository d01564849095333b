"""SIGTERM ends the script's whole process tree, promptly and in order, then procrun itself.

Under plain python, SIGTERM kills the main process on the spot: its children live on (Pool
workers wait forever for tasks) and its named semaphores are left for the resource tracker.
procrun's main process instead terminates its children, runs multiprocessing's exit
finalizers (Pools, managers, semaphores), and then dies of SIGTERM as python would, so the
shell sees the same status. A script that sets its own SIGTERM handler keeps it. Descendants
that are not its children (a grandchild whose parent was terminated earlier lives on, as under
python) end as procrun dies: every process of the tree watches procrun's main process
(:mod:`procrun.parent_watch`).

Two traps stand between a SIGTERM and that end, and each is handled here:

- **The handler may never run.** Python runs signal handlers in the main thread, when it
  next runs Python code. The kernel hands a process-wide signal to any thread that does not
  block it, another one when the main thread already has a signal pending (as when the
  children die of the same group SIGTERM at the same moment); a main thread blocked on a
  lock (``Pool.map`` waiting for results that will never come) is then not woken, and the
  handler waits as long as the lock does. A relay thread hears every signal through the
  wakeup descriptor and, until the handler has started, interrupts the main thread with a
  SIGTERM directed at it. Forked children get neither the handler nor the descriptor: a
  signal they take must not reach the parent's relay (the fork hooks below).
- **Every step may wait on something a dead child held**: a Pool's queue lock taken by a
  worker killed in ``get()``, a pipe nobody will read, a child that ignores SIGTERM. The
  orderly end runs in a helper thread and gets :data:`GRACE` seconds; then whatever is still
  alive is killed, the semaphores and shared memory are released (bounded too), and procrun
  dies all the same.
"""

from __future__ import annotations

import os
import sys
import threading

from procrun.imports import import_unshadowed

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import FrameType, ModuleType
    from typing import Any

#: Seconds for the orderly end: pools stopped, children terminated and joined, finalizers.
GRACE = 2.0
#: Seconds the orderly end may go on once no child is left.
SETTLE = 0.25
#: Seconds to kill and reap what the orderly end left alive.
KILL_TIMEOUT = 0.5
#: Seconds to release semaphores and shared memory once everything else has ended.
RELEASE_TIMEOUT = 1.0
#: Seconds the relay gives the main thread to take the signal before interrupting it.
RELAY_DELAY = 0.05

#: Set when the handler starts: the relay stops, and a signal tripped again is ignored.
_handling = False
#: The wakeup descriptor's pipe (read end, write end), while this process relays.
_wakeup: tuple[int, int] | None = None
_fork_hooks_registered = False
#: Seconds the orderly end may take beyond GRACE (see allow_more_time).
_more_time = 0.0
#: Threads (by ident) that hold SIGTERM back for a fork under way.
_blocked_for_fork: set[int] = set()


def install() -> None:
    """Handle SIGTERM in this (main) process, unless the script already handles it.

    Only where SIGTERM can be caught (not Windows, where an external kill is
    ``TerminateProcess``) and from the main thread (the only one that may set a handler;
    a first ``import multiprocessing`` in another thread leaves SIGTERM as python has it).
    """
    global _fork_hooks_registered
    if sys.platform == "win32":
        return
    signal = import_unshadowed("signal")
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) != signal.SIG_DFL:
        return
    signal.signal(signal.SIGTERM, _terminate_tree)
    _start_relay(signal)
    if not _fork_hooks_registered:
        _fork_hooks_registered = True
        os.register_at_fork(
            before=_block_sigterm, after_in_parent=_unblock_sigterm, after_in_child=uninstall
        )


def uninstall() -> None:
    """In a forked child: SIGTERM kills it outright again, as it would under python, and
    nothing it takes reaches the parent's relay."""
    import signal

    global _wakeup
    if signal.getsignal(signal.SIGTERM) is _terminate_tree:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if _wakeup is not None:
        read, write = _wakeup
        _wakeup = None
        previous = signal.set_wakeup_fd(-1)
        if previous != write:  # the script's own: leave it
            signal.set_wakeup_fd(previous)
        os.close(read)
        os.close(write)
    _unblock_sigterm()


def _block_sigterm() -> None:
    # Before a fork: the child starts with SIGTERM held back until uninstall() has run, so a
    # terminate() at once after start() is not relayed as the parent's own signal.
    import signal

    if sys.platform == "win32" or _wakeup is None:
        return
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    if signal.SIGTERM not in held:
        _blocked_for_fork.add(threading.get_ident())


def _unblock_sigterm() -> None:
    # After a fork, in both processes (the forking thread is the child's main thread).
    import signal

    ident = threading.get_ident()
    if sys.platform != "win32" and ident in _blocked_for_fork:
        _blocked_for_fork.discard(ident)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})


def _start_relay(signal: ModuleType) -> None:
    """Hear every signal through the wakeup descriptor, unless the script has its own."""
    global _wakeup
    if sys.platform == "win32":
        return
    read, write = os.pipe()
    os.set_blocking(write, False)
    previous = signal.set_wakeup_fd(write, warn_on_full_buffer=False)
    if previous != -1:  # the script's own (set before it imported multiprocessing): it stays
        signal.set_wakeup_fd(previous)
        os.close(read)
        os.close(write)
        return
    _wakeup = (read, write)
    from procrun.watcher import Watcher

    main = threading.main_thread().ident
    assert main is not None

    def on_readable(ready: list[int]) -> bool:
        return _relay(ready, read, main, signal, watcher.stopping)

    watcher = Watcher("procrun-sigterm-relay", [read], on_readable)
    watcher.start()


#: A SIGTERM was heard and the handler has not started yet (kept across a fork's pause).
_relay_pending = False


def _relay(
    ready: list[int], read: int, main: int, signal: ModuleType, stopping: threading.Event
) -> bool:
    """Hear the signals in the wakeup descriptor; for a SIGTERM, interrupt the main thread
    until procrun's handler has started. False when there is nothing more to hear."""
    global _relay_pending
    if ready:
        try:
            received = os.read(read, 512)
        except OSError:
            return False
        if not received:
            return False
        if int(signal.SIGTERM) in received:
            _relay_pending = True
            if signal.getsignal(signal.SIGTERM) is _terminate_tree:
                # From the moment the signal arrives, not from when the main thread takes it:
                # a Pool's thread replacing workers the same group signal killed fails in
                # between (its forkserver is gone too), and python would print nothing.
                threading.excepthook = _ignore_thread_exception
    if not _relay_pending or stopping.wait(RELAY_DELAY):
        return True
    # Only for procrun's handler: one the script set since is the script's business.
    while not _handling and signal.getsignal(signal.SIGTERM) is _terminate_tree:
        try:
            signal.pthread_kill(main, signal.SIGTERM)
        except OSError:  # the main thread has ended
            return False
        if stopping.wait(0.5):
            return True  # stepping aside for a fork: resumed after it
    _relay_pending = False
    return True


def _terminate_tree(signum: int, frame: FrameType | None) -> None:
    global _handling
    if _handling:
        return  # tripped again, by the relay or a second kill: the end is under way
    _handling = True
    # python would be gone already: what a thread of the dying tree raises now (a Pool
    # replacing workers killed by the same signal, say) is no news to print. (The relay
    # sets this as soon as it hears the signal; a signal the main thread took directly
    # arrives here first.)
    threading.excepthook = _ignore_thread_exception
    try:
        if not _ended_in_order():
            _kill_what_is_left()
            _within(RELEASE_TIMEOUT, _release_resources)
    except RuntimeError:
        # Python 3.12+ starts no thread once the interpreter is shutting down (a SIGTERM
        # while an exit finalizer waits, on a queue's feeder say): the children are killed
        # from here, and what they held is the resource tracker's to release.
        _kill_what_is_left()
    die_by_signal("SIGTERM", flush=False)


def _ignore_thread_exception(args: Any) -> None:
    pass


def allow_more_time(seconds: float) -> None:
    """Give the orderly end ``seconds`` more (a cluster engine stopping its own processes,
    which are not multiprocessing children: only its own shutdown ends them)."""
    global _more_time
    _more_time = max(_more_time, seconds)


def _ended_in_order() -> bool:
    """Whether the orderly end finished in time.

    It gets :data:`GRACE` seconds (more while a cluster engine stops). When it has not
    finished after :data:`SETTLE`, the children still running are terminated from here (the
    next thing it would do), as it may be stuck on something one of them holds; and once no
    child is left, it gets :data:`SETTLE` more: what it still waits for then is something a
    dead child held, which nobody will release.
    """
    import time
    from multiprocessing import active_children

    helper = _start_helper(_end_in_order)
    started = time.monotonic()
    deadline = started + GRACE + _more_time
    terminated: set[int] = set()
    childless_since: float | None = None
    while helper.is_alive():
        now = time.monotonic()
        if now >= deadline:
            return False
        if not _more_time:
            children = active_children()
            if children:
                childless_since = None
                if now - started >= SETTLE:
                    for child in children:
                        if id(child) not in terminated:
                            terminated.add(id(child))
                            child.terminate()
            elif childless_since is None:
                childless_since = now
            elif now - childless_since >= SETTLE:
                return False
        helper.join(min(0.02, deadline - now))
    return True


def _within(seconds: float, step: Callable[[], None]) -> bool:
    """Run ``step`` in a helper thread; whether it finished within ``seconds``."""
    helper = _start_helper(step)
    helper.join(seconds)
    return not helper.is_alive()


def _start_helper(step: Callable[[], None]) -> threading.Thread:
    helper = threading.Thread(target=step, name="procrun-terminate", daemon=True)
    helper.start()
    return helper


def _end_in_order() -> None:
    from multiprocessing import active_children, util

    # First the finalizers that stop pools (so none starts new workers) and managers.
    util._run_finalizers(0)  # type: ignore[attr-defined]
    children = active_children()
    for child in children:
        child.terminate()
    _join_all(children, GRACE)
    util._exit_function()  # type: ignore[attr-defined]
    _flush_standard_streams()


def _join_all(children: list[Any], seconds: float) -> None:
    import time

    deadline = time.monotonic() + seconds
    for child in children:
        child.join(max(0.0, deadline - time.monotonic()))


def _kill_what_is_left() -> None:
    """SIGKILL every child still running (a pool may have started new ones meanwhile)."""
    import time
    from multiprocessing import active_children

    deadline = time.monotonic() + KILL_TIMEOUT
    while True:
        children = active_children()
        for child in children:
            try:
                child.kill()
            except (OSError, ValueError):
                pass
        if not children or time.monotonic() >= deadline:
            return
        _join_all(children, min(0.05, max(0.0, deadline - time.monotonic())))


def _release_resources() -> None:
    # The finalizers the stuck step had not reached (semaphores, queues, shared memory), and
    # the output it had not flushed.
    from multiprocessing import util

    util._run_finalizers(0)  # type: ignore[attr-defined]
    util._run_finalizers()  # type: ignore[attr-defined]
    _flush_standard_streams()


def _flush_standard_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except Exception:
            pass


def die_by_signal(name: str, flush: bool = True) -> None:
    """End this process killed by the signal ``name`` ("SIGINT"), as python itself ends,
    so that the shell sees that status; what stdout and stderr hold is written first
    (unless ``flush`` is False: a stream blocked on a full pipe must not hold up the end)."""
    signal = import_unshadowed("signal")
    signum = getattr(signal, name)
    if flush:
        _flush_standard_streams()
    if sys.platform == "win32":
        # No death by signal there: python's status for Ctrl-C, TerminateProcess's otherwise.
        os._exit(0xC000013A if name == "SIGINT" else int(signum))
    signal.signal(signum, signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signum})
    os.kill(os.getpid(), signum)
    # The signal is fatal at once; should it somehow not be, end with the status the shell
    # reports for it.
    threading.Event().wait(1.0)
    os._exit(128 + int(signum))
