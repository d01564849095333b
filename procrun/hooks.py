"""The hooks procrun puts into ``multiprocessing``, installed when the script imports it.

- ``spawn.get_preparation_data``: children initialise their main module from
  ``procrun._mp_main`` (which replays the script's definitions) instead of re-running it.
- ``ForkingPickler.reducer_override``: lambdas, closures and script-made classes by value.
- ``BaseProcess.start``: each process object carries the parent's globals (spawn/forkserver).
- ``BaseProcess._bootstrap`` (first thing in every child): watch the tree's root (the parent
  where the root cannot be watched), so that the child ends when the script's process does
  (``procrun.parent_watch``).
- ``SemLock``: a semaphore given to a child is unlinked only once that child has ended
  (``procrun.lifetimes``).
- SIGTERM in the launcher ends the whole tree in order (``procrun.termination``).
- ``multiprocessing.forkserver``: the fork server preloads procrun's child side; where the
  script will start processes under forkserver, it is started at launch and replays the
  script's definitions while the script runs its own imports (:func:`warm_forkserver`).
- ``--start-method``: the forced method is the default, and the script's own
  ``set_start_method`` calls neither fail nor change it.

Scripts that never import ``multiprocessing`` pay nothing: a finder on ``sys.meta_path``
applies the hooks right after the import.
"""

from __future__ import annotations

import os
import sys

from procrun import state

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at start-up, so only for the type checker
    from collections.abc import Callable, Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType
    from typing import Any

#: The module each spawned child runs as ``__mp_main__``.
CHILD_MAIN = "procrun._mp_main"

_forced_start_method: str | None = None
_installed = False
#: True in the process procrun launched (not in its children)
_in_launcher = False


def install(start_method: str | None = None) -> None:
    """In the launcher: apply the hooks now to what is loaded, the rest when it is imported."""
    global _forced_start_method, _in_launcher
    _forced_start_method = start_method
    _in_launcher = True
    when_imported("multiprocessing", _install_multiprocessing)
    when_imported("multiprocessing.forkserver", _preload_in_forkserver)


def when_imported(name: str, callback: Callable[[], None]) -> None:
    """Run ``callback`` now if ``name`` is imported, else right after its import."""
    if name in sys.modules:
        callback()
        return
    for finder in sys.meta_path:
        if isinstance(finder, _PostImportHook):
            finder.callbacks[name] = callback
            return
    sys.meta_path.insert(0, _PostImportHook({name: callback}))


class _PostImportHook:
    """A meta path finder that runs a callback right after a module named in it is imported."""

    def __init__(self, callbacks: dict[str, Callable[[], None]]) -> None:
        self.callbacks = callbacks

    def find_spec(
        self, name: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        callback = self.callbacks.get(name)
        if callback is None:
            return None
        for finder in sys.meta_path:
            find_spec = getattr(finder, "find_spec", None)
            if finder is self or find_spec is None:
                continue
            spec: ModuleSpec | None = find_spec(name, path, target)
            if spec is not None:
                break
        else:
            return None
        del self.callbacks[name]
        if not self.callbacks:
            sys.meta_path.remove(self)
        if spec.loader is not None:
            spec.loader = _CallbackLoader(spec.loader, callback)  # type: ignore[assignment]
        return spec


class _CallbackLoader:
    def __init__(self, loader: Any, callback: Callable[[], None]) -> None:
        self._loader = loader
        self._callback = callback

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        module.__loader__ = self._loader
        if module.__spec__ is not None:
            module.__spec__.loader = self._loader
        self._loader.exec_module(module)
        self._callback()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)


def _install_multiprocessing() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    import multiprocessing
    from multiprocessing import process, reduction, spawn

    from procrun import lifetimes, parent_watch, pickling
    from procrun.globals_transfer import CARRIER

    forking_pickler: Any = reduction.ForkingPickler
    forking_pickler.reducer_override = pickling.reducer_override

    start = process.BaseProcess.start

    def start_with_globals(self: Any) -> None:
        self.__dict__.setdefault("_procrun_globals", CARRIER)
        pickling.forget_classes()
        if not state.replaying:
            method = getattr(self, "_start_method", None) or _default_start_method()
            state.replaying = method != "fork"
        start(self)

    start_with_globals.__doc__ = start.__doc__
    base_process: Any = process.BaseProcess
    base_process.start = start_with_globals

    bootstrap = base_process._bootstrap

    def bootstrap_child(self: Any, parent_sentinel: int | None = None) -> int:
        """Runs first in every child, whatever the start method."""
        if parent_sentinel is not None:
            parent_watch.watch(parent_sentinel)
        return int(bootstrap(self, parent_sentinel))

    base_process._bootstrap = bootstrap_child
    when_imported("multiprocessing.synchronize", lifetimes.install)

    get_preparation_data = spawn.get_preparation_data

    def preparation_data(name: str) -> dict[str, Any]:
        if state.target is not None:
            state.target.guarded()  # made once, cached for the children to load
        data = get_preparation_data(name)
        data.pop("init_main_from_path", None)
        data["init_main_from_name"] = CHILD_MAIN
        # First, so that a file named like procrun beside the script cannot shadow it;
        # procrun.child removes it again before the script's definitions run.
        data["sys_path"].insert(0, IMPORT_ROOT)
        return data

    spawn.get_preparation_data = preparation_data

    if _forced_start_method is not None:
        _force_start_method(multiprocessing, _forced_start_method)
    if _default_start_method() != "fork":
        state.replaying = True  # what is pickled before the first child starts goes to one
    if _in_launcher and _runtime_is_ours():
        # The guideline on joining processes that use queues, for plain multiprocessing too
        # (in the main process: spawned children stay light; forked ones inherit it).
        from processing.queues import (  # type: ignore[import-not-found, unused-ignore]
            install_join_watch,
        )

        install_join_watch()
    if _in_launcher:
        from procrun import termination

        termination.install()


def _default_start_method() -> str:
    """The start method of ``multiprocessing.Process``: the one set, else the platform's."""
    import multiprocessing

    return (
        multiprocessing.get_start_method(allow_none=True)
        or (multiprocessing.get_all_start_methods()[0])
    )


def _runtime_is_ours() -> bool:
    """Whether ``import processing`` finds procrun's runtime, not a file beside the script
    (which is the script's to import, as under python: procrun must not run it early)."""
    module = sys.modules.get("processing")
    if module is not None:
        spec = getattr(module, "__spec__", None)
    else:
        from importlib.util import find_spec

        spec = find_spec("processing")
    if spec is None or spec.origin is None or spec.submodule_search_locations is None:
        return False
    if getattr(sys, "frozen", False):
        # In a bundle the script and every package share one folder; the package there is
        # the runtime that procrun freeze always bundles (a script's own processing.py
        # would be a module, not a package).
        return True
    script_directory = state.target.path0 if state.target is not None else ""
    package_parent = os.path.dirname(os.path.dirname(spec.origin))
    return not script_directory or package_parent != script_directory


#: What the fork server imports once, so that every child it forks has it already.
FORKSERVER_PRELOAD = ("procrun.child", "procrun.globals_transfer")


def _preload_in_forkserver() -> None:
    """Have the fork server preload procrun's child side, where that finds procrun's own.

    CPython's fork server runs ``python -c`` and ignores the ``sys.path`` it is sent, so the
    current directory comes first there: a ``procrun`` module in it (the user's
    ``procrun.py``) would be what the server imports, and every child it forks would inherit
    it. So the preload is decided when the server starts, from the directory it starts in;
    without it, each child imports procrun once its ``sys.path`` is the parent's (procrun's
    root first). The script's own ``set_forkserver_preload`` list is left as it is.
    """
    from multiprocessing import forkserver

    server: Any = forkserver._forkserver
    ensure_running = server.ensure_running

    def ensure_running_with_preload() -> None:
        global _warmed
        if _warmed is not None:  # the first process to start: is the early server still fit?
            warmed, _warmed = _warmed, None
            if warmed != _server_setting(server):
                _stop_server(server)
        preload = server._preload_modules
        if preload[:1] == ["__main__"] and set(preload[1:]) <= set(FORKSERVER_PRELOAD):
            preload[1:] = [] if _shadows_procrun(os.getcwd()) else FORKSERVER_PRELOAD
        if not _warming:
            ensure_running()
            return
        preload.append(WARM_PRELOAD)  # for this start only
        try:
            ensure_running()
        finally:
            preload.remove(WARM_PRELOAD)

    ensure_running_with_preload.__doc__ = ensure_running.__doc__
    server.ensure_running = forkserver.ensure_running = ensure_running_with_preload


#: The module that replays the script's definitions in a server started at launch.
WARM_PRELOAD = "procrun.warm_server"
#: Set for that server only: JSON of what a spawned child is given before its replay
#: (``sys.path``, which the definitions import from, and ``sys.argv``, which they may read).
ENV_WARM = "PROCRUN_WARM_SERVER"
#: True while :func:`warm_forkserver` starts the server
_warming = False
#: What a server started at launch was started with (see :func:`_server_setting`), until the
#: first process starts; None when no server was started early, or once that was checked.
_warmed: tuple[object, ...] | None = None


def warm_forkserver(source: bytes | str | None, start_method: str | None) -> None:
    """Start the fork server now, replaying the script's definitions, if the script will
    start processes under forkserver (see :mod:`procrun.warm_server`).

    What the script sees stays as under python, whose server starts with the first process:
    that process finds the early server only if nothing the server took from this process
    has changed since: the environment, ``sys.path`` and the preload list (the script's own
    ``set_forkserver_preload`` wins). Otherwise the early server is ended and a new one
    started then, as python would. Never for a script that names no process API, nor in a
    frozen app."""
    global _warmed, _warming
    if not _will_use_forkserver(source, start_method):
        return
    import json
    from multiprocessing import forkserver

    server: Any = forkserver._forkserver
    os.environ[ENV_WARM] = json.dumps({"sys_path": sys.path, "sys_argv": sys.argv})
    _warming = True
    try:
        forkserver.ensure_running()
    except Exception:  # no server now: the first process starts one, as under python
        return
    finally:
        _warming = False
        del os.environ[ENV_WARM]
    _warmed = _server_setting(server)


def _will_use_forkserver(source: bytes | str | None, start_method: str | None) -> bool:
    """Whether the script is likely to start processes under forkserver: the method forced
    by ``--start-method``, or the platform's default (Linux from Python 3.14) where the
    script chooses none; and the script names a process API (bytes are enough: a wrong
    guess costs a server started for nothing, never a change of behaviour)."""
    if source is None or getattr(sys, "frozen", False) or sys.platform == "win32":
        return False
    data = source if isinstance(source, bytes) else source.encode("utf-8", "surrogatepass")
    if start_method is None:
        default_is_forkserver = sys.platform == "linux" and sys.version_info >= (3, 14)
        if not default_is_forkserver or b"set_start_method" in data or b"get_context" in data:
            return False
    elif start_method != "forkserver":
        return False
    if b"processing" not in data and b"concurrent" not in data:
        return False
    names_a_starter = any(name in data for name in (b"Process", b"Pool", b"Manager"))
    return names_a_starter and not _shadows_procrun(os.getcwd())


def _server_setting(server: Any) -> tuple[object, ...]:
    """What a fork server takes from this process when it starts, which its children see:
    the environment, the working directory, ``sys.path`` and ``sys.argv`` (which the
    replayed definitions imported from and read), the preload list; and which server."""
    return (
        server._forkserver_pid,
        dict(os.environ),
        os.getcwd(),
        list(sys.path),
        list(sys.argv),
        list(server._preload_modules),
    )


def _stop_server(server: Any) -> None:
    """End the running fork server, so that the next process starts a new one."""
    import signal

    pid = server._forkserver_pid
    if pid is None:
        return
    os.close(server._forkserver_alive_fd)
    for name in ("_forkserver_address", "_forkserver_alive_fd", "_forkserver_pid"):
        setattr(server, name, None)
    if hasattr(server, "_forkserver_authkey"):  # Python 3.14
        server._forkserver_authkey = None
    try:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
    except OSError:
        pass


_shadowing: dict[str, bool] = {}


def _shadows_procrun(directory: str) -> bool:
    """Whether ``import procrun`` in a ``python -c`` started in ``directory`` finds another
    procrun than this one."""
    found = _shadowing.get(directory)
    if found is None:
        found = False
        if not getattr(sys.flags, "safe_path", False) and not getattr(sys, "frozen", False):
            from importlib.machinery import PathFinder

            spec = PathFinder.find_spec("procrun", [directory])
            origin = spec.origin if spec is not None else None
            ours = os.path.join(IMPORT_ROOT, "procrun", "__init__.py")
            found = origin is not None and os.path.realpath(origin) != os.path.realpath(ours)
        _shadowing[directory] = found
    return found


#: The sys.path entry procrun is imported from; children must find procrun._mp_main there.
IMPORT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _force_start_method(multiprocessing: Any, method: str) -> None:
    from multiprocessing import context

    default: Any = context._default_context
    default.set_start_method(method, force=True)

    def set_start_method(method: str, force: bool = False) -> None:
        """Ignored: procrun's --start-method chose the start method for this run."""

    default.set_start_method = set_start_method
    multiprocessing.set_start_method = set_start_method


def install_in_child() -> None:
    """In a spawned child (multiprocessing is loaded): the same hooks, for grandchildren."""
    global _in_launcher
    _in_launcher = False
    _install_multiprocessing()
