"""A frozen app's side of procrun: run the bundled script as ``procrun SCRIPT`` would.

The entry script that ``procrun freeze`` bundles (``templates/entry.py.tmpl``) first calls
``multiprocessing.freeze_support()``, which PyInstaller's runtime hook turns into the switch
that sends the executable's own children (spawned workers, the resource tracker, the fork
server) to multiprocessing's code; only the app's main process goes on to :func:`main`.

Light: the executable imports this, the launcher and ``processing``, nothing of the CLI.
"""

from __future__ import annotations

import os
import sys

#: Set (to anything) to make the executable check itself instead of running the app.
ENV_SELF_CHECK = "PROCRUN_SELF_CHECK"
#: The bundled program that ``procrun freeze --verify`` runs (``templates/self_check.py``).
SELF_CHECK_SCRIPT = "procrun_self_check.py"


def bundle_directory() -> str:
    """Where the bundled files are: PyInstaller's ``sys._MEIPASS``."""
    meipass = getattr(sys, "_MEIPASS", None)
    if meipass is not None:
        return str(meipass)
    return os.path.dirname(os.path.abspath(sys.argv[0] if sys.argv else "."))


def main(script: str, start_method: str | None = None) -> None:
    """Run the bundled ``script`` with the command line's arguments; exit with its status.

    ``start_method`` is the default baked in at build time; ``PROCRUN_START_METHOD``
    overrides it when the app runs.
    """
    from procrun.entry import ENV_START_METHOD, UsageError, checked_start_method

    args = sys.argv[1:]
    if os.environ.pop(ENV_SELF_CHECK, None) is not None:
        script, args = SELF_CHECK_SCRIPT, []
    method = os.environ.get(ENV_START_METHOD) or start_method
    if method is not None:
        try:
            method = checked_start_method(method, ENV_START_METHOD)
        except UsageError as error:
            if sys.stderr is not None:  # None in a windowed app: the status is all it tells
                sys.stderr.write(f"{os.path.basename(sys.argv[0])}: error: {error}\n")
            sys.exit(2)
    from procrun.launcher import run_bundled

    end_helpers_at_exit()
    sys.exit(run_bundled(os.path.join(bundle_directory(), script), args, method))


def end_helpers_at_exit() -> None:
    """Have the app's exit wait for multiprocessing's helper processes to end.

    The resource tracker and the fork server are started from the executable, and import
    what they need from the bundle. A one-file app's bootloader deletes the bundle's
    extraction folder once the main process has exited: a helper started just before the
    exit could still be importing then, and prints ``FileNotFoundError ...
    base_library.zip`` / ``Failed to execute script 'pyi_rth_multiprocessing'`` after a
    correct run (2 to 3 runs in 40, with plain PyInstaller too). So right after
    multiprocessing's own exit function (children joined, finalizers run), the app ends both
    helpers and waits for them: nothing is left importing when the folder goes.

    multiprocessing registers its exit function when first imported (by PyInstaller's
    runtime hook, before this); it is moved here, into one that runs it first and then ends
    the helpers, so that it keeps running after every handler the program registers."""
    if sys.platform == "win32":
        return  # neither helper exists there
    import atexit
    from multiprocessing import util

    exit_function = util._exit_function  # type: ignore[attr-defined, unused-ignore]
    atexit.unregister(exit_function)

    def exit_function_then_end_helpers() -> None:
        exit_function()
        end_helpers()

    atexit.register(exit_function_then_end_helpers)


def end_helpers(timeout: float = 5.0) -> None:
    """End the fork server and the resource tracker, if running, and wait until they have
    (at most ``timeout`` seconds each; a fork server still busy is then terminated)."""
    import signal

    forkserver = sys.modules.get("multiprocessing.forkserver")
    server = getattr(forkserver, "_forkserver", None)
    pid = getattr(server, "_forkserver_pid", None)
    if server is not None and pid is not None:
        os.close(server._forkserver_alive_fd)  # its end of file: the server exits
        server._forkserver_alive_fd = server._forkserver_pid = None
        server._forkserver_address = None
        if not _reaped(pid, timeout):
            os.kill(pid, signal.SIGTERM)
            _reaped(pid, timeout)
    tracker_module = sys.modules.get("multiprocessing.resource_tracker")
    tracker = getattr(tracker_module, "_resource_tracker", None)
    fd = getattr(tracker, "_fd", None)
    if tracker is not None and fd is not None:
        pid = tracker._pid
        os.close(fd)  # its end of file: the tracker releases what is left, and exits
        tracker._fd = tracker._pid = None
        # Nothing is registered with a tracker after the exit function: a late call must
        # not start a new one now, which would be importing when the folder goes.
        tracker._send = lambda *args: None
        if pid is not None:
            _reaped(pid, timeout)


def _reaped(pid: int, timeout: float) -> bool:
    """Wait up to ``timeout`` seconds for the child ``pid`` to end; whether it has."""
    if sys.platform == "win32":  # no such helpers there (waitpid takes handles)
        return True
    import time

    deadline = time.monotonic() + timeout
    while True:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return True  # reaped already
        if done:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.002)
