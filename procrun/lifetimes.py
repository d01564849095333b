"""Named semaphores live as long as a child that was given one may still need it.

Under fork a ``Lock`` is inherited and its name unlinked at once. Under spawn and
forkserver the child opens the semaphore by name when it unpickles its process object, and
the parent unlinks the name when its ``Lock`` is garbage-collected or at exit
(``SemLock._cleanup``, a finalizer of priority 0). Two ordinary programs lose that race
under plain multiprocessing, and every child dies with ``FileNotFoundError`` in
``SemLock._rebuild``:

- ``Process(target=f, args=(Lock(),)).start()``: ``start()`` drops the process object's
  arguments, so the lock is collected while the child is still starting;
- a script that starts children with a lock and ends without joining them: the exit
  finalizers (priority 0) run before multiprocessing joins the children.

So a semaphore pickled for a child is held by that child's ``Popen`` (which the process
object holds until the child has ended and been reaped), and an exit-time unlink while such
a child still runs waits until the children have been joined.
"""

from __future__ import annotations

import weakref

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: Below every priority multiprocessing uses: runs after the exit joins of the children.
AFTER_JOINS = -100

#: Popen of a child being started or running -> the SemLock objects pickled for it.
_given: weakref.WeakKeyDictionary[Any, list[Any]] = weakref.WeakKeyDictionary()
_installed = False


def install() -> None:
    """Wrap ``SemLock``'s pickling and unlinking (once ``multiprocessing.synchronize``
    is imported: it needs working POSIX semaphores, which some systems lack)."""
    global _installed
    if _installed:
        return
    _installed = True
    from multiprocessing import context, synchronize, util

    semlock: Any = synchronize.SemLock
    getstate = semlock.__getstate__
    cleanup = semlock._cleanup

    def getstate_kept_for_the_child(self: Any) -> Any:
        state = getstate(self)
        popen = context.get_spawning_popen()
        if popen is not None and self._semlock.name is not None:
            _given.setdefault(popen, []).append(self)
        return state

    def cleanup_after_the_children(name: str) -> None:
        if _needed_by_a_running_child(name):
            util.Finalize(None, cleanup, (name,), exitpriority=AFTER_JOINS)
        else:
            cleanup(name)

    getstate_kept_for_the_child.__doc__ = getstate.__doc__
    semlock.__getstate__ = getstate_kept_for_the_child
    semlock._cleanup = staticmethod(cleanup_after_the_children)


def _needed_by_a_running_child(name: str) -> bool:
    for popen, semlocks in list(_given.items()):
        if any(lock._semlock.name == name for lock in semlocks):
            try:
                if popen.poll() is None:
                    return True
            except (OSError, ValueError):
                pass
    return False
