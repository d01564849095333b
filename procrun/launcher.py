"""The parent side of the launcher: run a program as ``python`` would, made spawn-safe.

The program's ``__main__`` is a fresh module with the attributes ``python`` gives it
(``__file__``, ``sys.argv``, ``sys.path[0]``), registered as ``__main__`` and ``__mp_main__``
(``multiprocessing`` aliases ``__mp_main__`` once, when it is first imported, and results
pickled by children name ``__mp_main__``). Its code is the guarded code of
:mod:`procrun.guard`, compiled with the program's own file name, so tracebacks show the
user's file and lines. Uncaught exceptions are reported and turned into exit statuses the
way the interpreter does it, without procrun's own frames.
"""

from __future__ import annotations

import os
import sys
from types import ModuleType

from procrun import hooks, parent_watch, state
from procrun.target import ENV_MAIN, LaunchError, python_version_hint

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import CodeType, TracebackType

    from procrun.target import Target


def run_script(script: str, args: list[str], start_method: str | None) -> int:
    """``procrun SCRIPT ARGS...``: the exit status, as ``python SCRIPT ARGS...`` gives it."""
    from procrun.target import resolve_script

    try:
        target = resolve_script(script)
    except LaunchError as error:
        return _fail(error)
    except SyntaxError as error:  # a zip's __main__.py: zipimport compiles it to find it
        return _report_syntax_error(error)
    return _run(target, args, start_method)


def run_bundled(script: str, args: list[str], start_method: str | None) -> int:
    """A frozen app's program: like :func:`run_script`, but ``sys.argv[0]`` stays the
    executable and ``sys.path`` stays the bundle's (PyInstaller put the script's folder on it)."""
    from procrun.target import resolve_script

    try:
        target = resolve_script(script)
    except LaunchError as error:
        return _fail(error)
    target.argv0 = sys.argv[0] if sys.argv else script
    return _run(target, args, start_method, set_path0=False, bundled=True)


def run_module(module: str, args: list[str], start_method: str | None) -> int:
    """``procrun -m MODULE ARGS...``: the exit status, as ``python -m`` gives it."""
    from procrun.target import resolve_module

    _set_path0(os.getcwd())  # python -m finds the module from the current directory
    try:
        target = resolve_module(module)
    except LaunchError as error:
        return _fail(error)
    except SyntaxError as error:  # a module in a zip: zipimport compiles it to find it
        return _report_syntax_error(error)
    return _run(target, args, start_method)


def _fail(error: LaunchError) -> int:
    _say(f"procrun: {error.message}\n")
    return error.status


def _say(text: str) -> None:
    """Write ``text`` to stderr, if there is one: a windowed app (``pythonw``, a frozen
    ``--windowed`` app) has none, and python then drops what it would print."""
    if sys.stderr is not None:
        sys.stderr.write(text)


def _set_path0(path: str) -> None:
    if getattr(sys.flags, "safe_path", False):
        return  # python -P / PYTHONSAFEPATH: no script directory on sys.path
    if sys.path:
        sys.path[0] = path
    else:
        sys.path.insert(0, path)


def _run(
    target: Target,
    args: list[str],
    start_method: str | None,
    set_path0: bool = True,
    bundled: bool = False,
) -> int:
    try:
        code = target.compile()
    except (SyntaxError, ValueError) as error:  # ValueError: null bytes, before Python 3.12
        return _report_bad_source(error, target)

    main = ModuleType("__main__")
    namespace = main.__dict__
    namespace.update(target.module_attrs)
    namespace["__builtins__"] = sys.modules["builtins"]
    if "__annotations__" in vars(sys.modules["__main__"]):
        namespace["__annotations__"] = {}  # the interpreter gives __main__ one at start-up
    sys.modules["__main__"] = sys.modules["__mp_main__"] = main
    sys.argv[:] = [target.argv0, *args]
    if set_path0:
        _set_path0(target.path0)
    os.environ[ENV_MAIN] = target.encode()
    parent_watch.mark_root()  # every process of the tree ends when this one does
    state.target, state.main_globals = target, namespace
    hooks.install(start_method)
    hooks.warm_forkserver(target.source, start_method)

    try:
        exec(code, namespace)
    except SystemExit:
        raise
    except BaseException as error:
        _report_uncaught(error, code)
        if type(error) is KeyboardInterrupt:  # exactly: a subclass ends python with 1
            if not bundled:
                _leave_to_the_interpreter(error)
                raise
            return _end_interrupted()
        return 1
    return 0


def _report_bad_source(error: SyntaxError | ValueError, target: Target) -> int:
    """Report source that does not compile: python's report, or one line for non-source."""
    message = str(getattr(error, "msg", None) or error)
    source = target.source if isinstance(target.source, bytes) else b""
    if b"\x00" in source or "null bytes" in message:
        return _fail(
            LaunchError(f"can't run {target.filename!r}: it is a binary file, not Python source")
        )
    if message.startswith("(unicode error)") and getattr(error, "lineno", None) == 1:
        return _fail(
            LaunchError(
                f"can't run {target.filename!r}: it is not UTF-8 and declares no encoding "
                f"({message.removeprefix('(unicode error) ')}); save it as UTF-8 or add a "
                "'# -*- coding: NAME -*-' line (PEP 263)"
            )
        )
    if not isinstance(error, SyntaxError):
        return _fail(LaunchError(f"can't run {target.filename!r}: {message}"))
    return _report_syntax_error(error)


def _report_syntax_error(error: SyntaxError) -> int:
    error.__traceback__ = None  # python shows no frames for the program's own syntax error
    error.__context__ = None
    sys.excepthook(type(error), error, None)
    hint = python_version_hint(error)
    if hint:
        _say(f"procrun: {hint}\n")
    return 1


def _report_uncaught(error: BaseException, code: CodeType) -> None:
    """Print ``error`` as the interpreter would, from the program's first frame on."""
    tb: TracebackType | None = error.__traceback__
    while tb is not None and tb.tb_frame.f_code is not code:
        tb = tb.tb_next
    tb = _without_procrun_frames(tb)
    error.__traceback__ = tb
    sys.last_type, sys.last_value, sys.last_traceback = type(error), error, tb
    if sys.version_info >= (3, 12):
        sys.last_exc = error
    sys.excepthook(type(error), error, tb)


#: The local variable by which processing's wrappers of multiprocessing's functions are known.
WRAPPER_MARK = "_procrun_wrapper"


def _without_procrun_frames(tb: TracebackType | None) -> TracebackType | None:
    """``tb`` less the frames of procrun's own modules (a ``--cluster`` pool's, say), as
    the traceback would read without procrun.

    Frames are told apart by their module's name, not their file's: in a frozen app the
    code's file names are relative to the bundle (PyInstaller strips the paths)."""
    from types import TracebackType

    kept = []
    while tb is not None:
        module = tb.tb_frame.f_globals.get("__name__")
        ours = isinstance(module, str) and module.partition(".")[0] == "procrun"
        # processing's wrappers of multiprocessing's own functions (the join watch, the
        # transfer measure) are procrun's doing too: they mark themselves with a local.
        if not ours and WRAPPER_MARK not in tb.tb_frame.f_code.co_varnames:
            kept.append(tb)
        tb = tb.tb_next
    rebuilt = None
    for entry in reversed(kept):
        rebuilt = TracebackType(rebuilt, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return rebuilt


#: python's exit status after an uncaught KeyboardInterrupt on Windows: STATUS_CONTROL_C_EXIT
#: (0xC000013A), as the signed 32-bit value that ``sys.exit`` passes on unchanged.
WINDOWS_CONTROL_C_EXIT = 0xC000013A - (1 << 32)


def _leave_to_the_interpreter(error: KeyboardInterrupt) -> None:
    """Let ``error``, already reported, end the process the way the interpreter ends it.

    An uncaught KeyboardInterrupt that reaches the interpreter's own top level (``procrun``'s
    console script, ``python -m procrun``) makes it finish everything first (threads joined,
    atexit handlers, which join the children, files flushed and closed at shutdown) and only
    then die of SIGINT (exit with STATUS_CONTROL_C_EXIT on Windows), exactly as for a script
    run by ``python``. Its report must not be printed twice, nor with procrun's frames.
    """
    hook = sys.excepthook

    def report_once(kind: type[BaseException], value: BaseException, tb: object) -> None:
        sys.excepthook = hook
        if value is not error:
            hook(kind, value, tb)  # type: ignore[arg-type]

    sys.excepthook = report_once


def _end_interrupted() -> int:
    """A frozen app's end after an uncaught KeyboardInterrupt: as python's, as far as
    Python code can go.

    PyInstaller's bootloader does not end by SIGINT. So the app does what the interpreter
    would have done first (threads joined, atexit handlers run, multiprocessing's among
    them, which join the children; every open file flushed, as shutdown would close them)
    and then dies of SIGINT, or returns python's Windows status, which the bootloader's own
    shutdown passes on."""
    import atexit
    import threading

    current = threading.current_thread()
    for thread in threading.enumerate():
        if thread is not current and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    _flush_open_files()
    if sys.platform == "win32":
        return WINDOWS_CONTROL_C_EXIT
    from procrun.termination import die_by_signal

    die_by_signal("SIGINT")
    return 130  # not reached


def _flush_open_files() -> None:
    # What interpreter shutdown does for files the program never closed: their buffered
    # data is written.
    import gc
    import io

    for thing in gc.get_objects():
        if isinstance(thing, (io.BufferedIOBase, io.TextIOBase)):
            try:
                if not thing.closed and thing.writable():
                    thing.flush()
            except Exception:
                pass
