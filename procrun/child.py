"""The child side of the launcher: rebuild the parent's main module from definitions only.

Under spawn and forkserver, ``multiprocessing`` initialises each child's main module with
``runpy.run_module(procrun._mp_main, run_name="__mp_main__")`` (the parent's preparation data
names that module). ``procrun._mp_main`` calls :func:`replay` with its own globals, which runpy
keeps as the ``__globals__`` of every function defined there; runpy then hands a *copy* to
``multiprocessing``. So this namespace, not ``sys.modules['__main__'].__dict__``, is the one the
copied globals must go into (``state.main_globals``).
"""

from __future__ import annotations

import os
import sys
from types import FunctionType

from procrun import hooks, state
from procrun.target import ENV_MAIN, decode

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def replay(namespace: dict[str, Any]) -> None:
    """Run the parent's program in ``namespace`` as ``__mp_main__``: definitions only."""
    encoded = os.environ.get(ENV_MAIN)
    if not encoded:
        raise RuntimeError(
            f"procrun: {ENV_MAIN} is not set, so this child cannot find its parent's script"
        )
    target = decode(encoded)
    code = target.guarded()
    if sys.path and sys.path[0] == hooks.IMPORT_ROOT:
        del sys.path[0]  # put there for procrun's own imports: the script sees its parent's
    namespace.update(target.module_attrs)
    namespace["__name__"] = "__mp_main__"
    namespace["__doc__"] = None  # the script's own docstring, if any, replaces it
    state.target, state.main_globals = target, namespace
    state.replaying = True
    hooks.install_in_child()
    argv0 = sys.argv[0] if sys.argv else None
    if sys.argv:
        sys.argv[0] = target.filename
    try:
        exec(code, namespace)
    finally:
        if argv0 is not None:
            sys.argv[0] = argv0
    _belong_to_main(namespace.values())


def _belong_to_main(values: Any) -> None:
    """The replay runs as ``__mp_main__`` (so that the script's own ``__main__`` guard is
    skipped), which the classes and functions it makes take as their ``__module__``. Under
    fork they are ``__main__``'s, and it shows: an uncaught ``MyError`` in a child prints as
    ``MyError: ...``, not ``__mp_main__.MyError: ...``, and reprs say ``__main__.Point``.
    Both names lead to this same module in a child (spawn sets ``sys.modules['__main__']``
    to it), so pickles by reference work either way."""
    for value in values:
        if isinstance(value, (type, FunctionType)) and value.__module__ == "__mp_main__":
            try:
                value.__module__ = "__main__"
            except (AttributeError, TypeError):  # a class that will not have it changed
                continue
            if isinstance(value, type):
                _belong_to_main(vars(value).values())
