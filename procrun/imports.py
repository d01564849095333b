"""Imports that a file beside the user's script cannot shadow.

python puts the script's directory first on ``sys.path``, so a neighbour of the script named
``ast.py`` or ``signal.py`` is what ``import ast`` finds there. That is the script's business,
but procrun imports some modules only when it needs them, after the script's directory is on
``sys.path``: those it finds on the rest of ``sys.path``.
"""

from __future__ import annotations

import sys
import threading

from procrun import state

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import ModuleType


#: Serialises procrun's own loading of a module: processes may start from several threads
#: at once, and none may use a module another is still executing (found half made in
#: ``sys.modules``).
_lock = threading.RLock()
#: Names being loaded under the lock right now.
_loading: set[str] = set()


def import_unshadowed(name: str) -> ModuleType:
    """The top-level module ``name``, imported as if the script's directory were not first."""
    module = sys.modules.get(name)
    if module is not None and name not in _loading:
        return module
    with _lock:
        module = sys.modules.get(name)
        if module is not None:
            return module
        _loading.add(name)
        try:
            return _load(name)
        finally:
            _loading.discard(name)


def _load(name: str) -> ModuleType:
    script_directory = state.target.path0 if state.target is not None else None
    if script_directory:
        from importlib.machinery import PathFinder
        from importlib.util import module_from_spec

        path = [entry for entry in sys.path if entry != script_directory]
        spec = PathFinder.find_spec(name, path)
        if spec is not None and spec.loader is not None:
            module = module_from_spec(spec)
            sys.modules[name] = module
            try:
                spec.loader.exec_module(module)
            except BaseException:
                sys.modules.pop(name, None)
                raise
            return module
    __import__(name)
    return sys.modules[name]
