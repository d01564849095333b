"""processing.localmanager: the 0.3x module of LocalManager, for imports written against it.

``from processing.localmanager import LocalManager`` worked in processing 0.34-0.37; the
class itself lives in ``processing.sharedmem`` (shared values, structs and arrays in shared
memory, shared by inheritance, no server process), and is the same object here.
"""

from __future__ import annotations

from .sharedmem import LocalManager, SharedArray, SharedStruct, SharedValue

__all__ = ["LocalManager", "SharedArray", "SharedStruct", "SharedValue"]
