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

    sys.exit(run_bundled(os.path.join(bundle_directory(), script), args, method))
