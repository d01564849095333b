"""processing.forking: the start-up helpers processing exposed from its forking module.

In ``processing`` this module started children (``os.fork()`` or a new interpreter on
Windows). ``multiprocessing`` does that now, one module per start method; what programs
used from here maps onto it: ``freezeSupport()`` for frozen Windows executables,
``assertSpawning(obj)`` for objects that may only travel to a child while it starts,
``thisThreadIsSpawning()``, and ``exit`` (end a process without running exit handlers).
"""

from __future__ import annotations

import os
from multiprocessing import context

__all__ = ["assertSpawning", "exit", "freezeSupport", "thisThreadIsSpawning"]

#: End this process at once, as a child ends (no exit handlers, no buffers flushed).
exit = os._exit


def freezeSupport() -> None:
    """freezeSupport: in a frozen executable's child, run the child's code and exit."""
    import multiprocessing

    multiprocessing.freeze_support()


def thisThreadIsSpawning() -> bool:
    """Whether this thread is sending a process object to a child it is starting."""
    return context.get_spawning_popen() is not None


def assertSpawning(obj: object) -> None:
    """Raise RuntimeError unless ``obj`` is being sent to a child that is starting (the
    only way a lock or queue may reach another process: inheritance)."""
    context.assert_spawning(obj)
