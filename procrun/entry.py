"""The ``procrun`` command line.

The launcher forms (``procrun SCRIPT``, ``procrun run SCRIPT``, ``procrun -m MODULE``) are
parsed here by hand, so that running a script never pays for importing typer and rich; so is
``procrun check`` (:mod:`procrun.checker.quick_cli`). Help and the other commands go to
:mod:`procrun.cli`.
"""

from __future__ import annotations

import os
import sys

from procrun import __version__

START_METHODS = ("spawn", "forkserver", "fork")
ENV_START_METHOD = "PROCRUN_START_METHOD"
#: Words that name a command rather than a script (``procrun ./check`` runs a file so named).
COMMANDS = frozenset({"check", "fix", "freeze"})


class UsageError(Exception):
    """A command line procrun cannot make sense of."""


def main(argv: list[str] | None = None) -> int:
    """Run the ``procrun`` command with ``argv`` (default ``sys.argv[1:]``); the exit status."""
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        return _dispatch(args)
    except UsageError as error:
        sys.stderr.write(f"procrun: error: {error}\nTry 'procrun --help' for help.\n")
        return 2


def _dispatch(args: list[str]) -> int:
    start_method: str | None = None
    cluster: str | None = None
    explicit_run = False
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            i += 1
            break
        if arg in ("-h", "--help"):
            return _cli(["run", "--help"] if explicit_run else ["--help"])
        if arg in ("-V", "--version"):
            sys.stdout.write(f"procrun {__version__}\n")
            return 0
        if arg in ("-s", "--start-method"):
            if i + 1 >= len(args):
                raise UsageError(f"option {arg} needs a value: one of {', '.join(START_METHODS)}")
            start_method = checked_start_method(args[i + 1], arg)
            i += 2
            continue
        if arg.startswith("--start-method="):
            start_method = checked_start_method(arg.partition("=")[2], "--start-method")
            i += 1
            continue
        if arg == "--cluster" or arg.startswith("--cluster="):
            if arg == "--cluster":
                if i + 1 >= len(args):
                    raise UsageError("option --cluster needs a value: ray, dask, or an address")
                cluster, i = args[i + 1], i + 2
            else:
                cluster, i = arg.partition("=")[2], i + 1
            continue
        if arg.startswith("-s") and not arg.startswith("--"):
            start_method = checked_start_method(arg[2:], "-s")
            i += 1
            continue
        if arg == "-m" or (arg.startswith("-m") and not arg.startswith("--")):
            module = arg[2:] or (args[i + 1] if i + 1 < len(args) else "")
            if not module:
                raise UsageError("option -m needs a module name")
            rest = args[i + 1 :] if arg[2:] else args[i + 2 :]
            if cluster is not None and not install_cluster(cluster):
                return 2
            from procrun.launcher import run_module

            return run_module(module, rest, _effective(start_method))
        if arg.startswith("-") and arg != "-":
            raise UsageError(f"no such option: {arg}")
        if arg == "run" and not explicit_run:
            explicit_run = True
            i += 1
            continue
        if arg in COMMANDS and not explicit_run:
            if arg == "check":  # a linter's start-up is most of a cached run: no typer
                from procrun.checker.quick_cli import run

                status = run(args[i + 1 :])
                if status is not None:
                    return status
            return _cli(args[i:])
        break
    if i >= len(args):
        raise UsageError("missing SCRIPT (or -m MODULE) to run")
    script = args[i]
    if script == "-":
        raise UsageError("procrun cannot run a script from standard input; save it to a file")
    if cluster is not None and not install_cluster(cluster):
        return 2
    from procrun.launcher import run_script

    return run_script(script, args[i + 1 :], _effective(start_method))


def install_cluster(value: str) -> bool:
    """``--cluster value``: serve the script's pools from the cluster; False (after one line
    on stderr) if it cannot be."""
    from procrun.cluster import ClusterError, install, parse

    try:
        install(*parse(value))
    except ClusterError as error:
        sys.stderr.write(f"procrun: error: {error}\n")
        return False
    return True


def checked_start_method(value: str, source: str) -> str:
    """``value`` if it names a start method this platform has; else :class:`UsageError`
    naming ``source`` (the option or variable it came from)."""
    if value not in START_METHODS:
        raise UsageError(
            f"invalid start method {value!r} for {source} (choose from {', '.join(START_METHODS)})"
        )
    if sys.platform == "win32" and value != "spawn":
        raise UsageError(f"start method {value!r} is not available on Windows; use spawn")
    return value


def _effective(start_method: str | None) -> str | None:
    if start_method is not None:
        return start_method
    from_environment = os.environ.get(ENV_START_METHOD)
    if from_environment:
        return checked_start_method(from_environment, ENV_START_METHOD)
    return None


def _cli(args: list[str]) -> int:
    from procrun.cli import run_cli

    return run_cli(args)
