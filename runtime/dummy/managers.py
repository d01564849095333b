"""processing.dummy.managers: the manager of processing.dummy, for code run on threads.

Threads share memory, so a "manager" has nothing to serve: ``Manager()`` returns the
``processing.dummy`` module itself (as the processing package did), whose ``dict``, ``list``,
``Namespace``, ``Value``, ``Array``, locks and queues are the plain objects, and whose
``shutdown()`` does nothing. Code written for ``processing.Manager()`` runs unchanged on it.
"""

from __future__ import annotations

from multiprocessing.dummy import Array, Namespace, Value

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import ModuleType

__all__ = ["Array", "Manager", "Namespace", "Value", "dict", "list", "shutdown"]

dict = dict
list = list


def Manager() -> ModuleType:
    """Manager: the ``processing.dummy`` module, whose objects threads share directly."""
    import importlib

    return importlib.import_module(__name__.rpartition(".")[0])


def shutdown() -> None:
    """Nothing to shut down: there is no server."""
