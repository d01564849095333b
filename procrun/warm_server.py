"""In a fork server that the launcher started early: replay the script's definitions once.

Under forkserver, every child is forked from one server process. From Python 3.14,
``python`` has that server import a guarded script's main module (its preload list names
``__main__``; before 3.14 that preload never took effect, CPython gh-126631, and every
child re-ran the main module), so that each child starts with the script's imports done;
but it starts the server only when the first process starts, and the main module's imports
(numpy, pandas: hundreds of milliseconds) then stand between ``Pool()`` and its first
result. A procrun child replays the script's definitions after it is forked: each worker
would pay for those imports itself.

So where the script will start processes under forkserver, :func:`procrun.hooks.warm_forkserver`
starts the server at launch, with this module last in its preload list. Imported there, it
rebuilds the script's ``__mp_main__`` from the definitions, exactly as a spawned child would
(``multiprocessing.spawn._fixup_main_from_name``), while the main process runs the script's
own imports. A child forked from the server finds ``__mp_main__`` in place, and
``multiprocessing`` skips rebuilding it, as it does for python's own preloaded main module.

The launcher describes the replay in the environment (:data:`procrun.hooks.ENV_WARM`: the
``sys.path`` the script's definitions import from, the ``sys.argv`` they may read); the
server takes the variable out of its environment, so no process forked from it sees it, and
a server started later (after the first one died) replays nothing. If the replay fails,
nothing is left half done in ``sys.modules['__main__']``: each child then replays the
definitions itself and reports what fails there, as without a warm server. While the replay
runs, the server ends when the script's process (the tree's root) does, however it ends: a
definition that takes long (a slow import) must not keep the server alive after the program.
"""

from __future__ import annotations

import os
import sys

from procrun.hooks import CHILD_MAIN, ENV_WARM


def _replay_definitions() -> None:
    from multiprocessing import process, spawn

    current: object = process.current_process()
    current._inheriting = True  # type: ignore[attr-defined]  # as for python's preload
    try:
        spawn._fixup_main_from_name(CHILD_MAIN)  # type: ignore[attr-defined]
    finally:
        del current._inheriting  # type: ignore[attr-defined]
    replayed = sys.modules["__main__"]
    fixup = spawn._fixup_main_from_name  # type: ignore[attr-defined]

    def fixup_main_from_name(name: str) -> None:
        """A child forked from this server has the replayed main module already.

        ``multiprocessing`` knows a main module it need not rebuild by its ``__spec__``
        (python's preloaded one has the spec of the module it ran), but a replayed
        ``__mp_main__`` carries the script's own attributes, ``__spec__`` None for a file,
        as it does in a spawned child: it is told by identity here instead."""
        if name != CHILD_MAIN or sys.modules.get("__main__") is not replayed:
            fixup(name)

    spawn._fixup_main_from_name = fixup_main_from_name  # type: ignore[attr-defined]


def _while_the_root_lives(work: object) -> None:
    """Run ``work()``; end this process at once if the tree's root ends meanwhile."""
    import select
    import threading

    from procrun import parent_watch

    root = parent_watch._root_from_environment()
    opened = parent_watch._open_root(*root) if root is not None else None
    if isinstance(opened, parent_watch._Gone):
        os._exit(0)
    if opened is None:  # nothing to watch here (an old kernel): the server's own pipe will do
        work()  # type: ignore[operator]
        return
    stop_r, stop_w = os.pipe()

    def wait_for_the_root() -> None:
        ready, _, _ = select.select([opened, stop_r], [], [])
        if opened in ready:
            os._exit(0)  # nobody is left to use this server

    watch = threading.Thread(target=wait_for_the_root, name="procrun-warm-watch", daemon=True)
    watch.start()
    try:
        work()  # type: ignore[operator]
    finally:
        os.write(stop_w, b"x")
        watch.join()  # no thread may be left when the server starts forking
        os.close(stop_r)
        os.close(stop_w)
        parent_watch.close_root(opened)


def warm() -> None:
    """Replay the script's definitions in this fork server, if the launcher asked for it."""
    encoded = os.environ.pop(ENV_WARM, None)
    if not encoded:
        return
    import json

    given = json.loads(encoded)  # as a spawned child is given them before its replay
    sys.path[:], sys.argv[:] = given["sys_path"], given["sys_argv"]
    main, mp_main = sys.modules["__main__"], sys.modules.get("__mp_main__")
    try:
        _while_the_root_lives(_replay_definitions)
    except BaseException:
        # Each child replays the definitions itself, and reports what fails, as it would
        # without this server's help.
        sys.modules["__main__"] = main
        if mp_main is None:
            sys.modules.pop("__mp_main__", None)
        else:
            sys.modules["__mp_main__"] = mp_main


warm()
