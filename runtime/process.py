"""Processes: the processing package's ``Process`` and process-level functions.

``Process`` is ``multiprocessing.Process`` with the old accessors, the old ``repr``, 0.3x's
``stop()`` (``ProcessExit`` raised in the child), and with the picklability guideline turned
into an error that says what to do. Every other process object (the main process, pool
workers, managers' servers, plain ``multiprocessing`` children) gets the old accessors too:
see :func:`_give_every_process_the_old_names`.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import sys
from multiprocessing import connection
from multiprocessing import process as _mp_process

from . import logger as _logger
from .forking import freezeSupport as freezeSupport
from .logger import enableLogging as enableLogging
from .logger import getLogger as getLogger

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "Process",
    "ProcessExit",
    "activeChildren",
    "cpuCount",
    "currentProcess",
    "enableLogging",
    "freezeSupport",
    "getLogger",
    "waitForAnyChild",
]


def _exitFunction() -> None:
    """What a process runs as it ends (processing's private name, which its own tests call):
    multiprocessing's exit function, which runs the finalizers and joins the children."""
    from multiprocessing import util

    util._exit_function()  # type: ignore[attr-defined]


#: Exit code of a child that let ``ProcessExit`` end it (shown as ``stopped[ProcessExit]``).
PROCESS_EXIT_CODE = 127
#: The signal ``stop()`` sends; the child turns it into ``ProcessExit`` (POSIX only).
STOP_SIGNAL: int | None = getattr(signal, "SIGUSR1", None)


class ProcessExit(SystemExit):
    """ProcessExit: raised in a child by its ``stop()``; a ``SystemExit``, so uncaught it
    ends the child (exit code 127) and it may be caught to stop cleanly."""

    def __init__(self, *args: object) -> None:
        super().__init__(*(args or (PROCESS_EXIT_CODE,)))


class OldProcessNames:
    """The processing package's accessors, for processes and threads alike."""

    name: str
    daemon: bool
    exitcode: int | None

    def getName(self) -> str:
        """The process's name."""
        return self.name

    def setName(self, name: str) -> None:
        """Set the process's name."""
        if not isinstance(name, str):
            raise TypeError(f"setName: name must be a string, not {name!r}")
        self.name = name

    def isAlive(self) -> bool:
        """Whether the process is running."""
        return bool(self.is_alive())  # type: ignore[attr-defined]

    def isDaemon(self) -> bool:
        """Whether the process is daemonic (terminated when its parent exits)."""
        return bool(self.daemon)

    def setDaemon(self, daemonic: bool) -> None:
        """Make the process daemonic or not (before ``start()``)."""
        if getattr(self, "_popen", None) is not None:
            raise ValueError(f"setDaemon: {self.name} has already started; call it before start()")
        self.daemon = bool(daemonic)

    def getExitCode(self) -> int | None:
        """The exit code (negative: killed by that signal), or None while running."""
        return self.exitcode


class OldProcessOnlyNames:
    """The processing package's accessors that only a process (not a thread) has."""

    pid: int | None
    authkey: bytes

    def getPid(self) -> int | None:
        """The process id, once started."""
        return self.pid

    def getAuthKey(self) -> bytes:
        """The process's authentication key (bytes: it was a str in Python 2)."""
        return bytes(self.authkey)

    def setAuthKey(self, authkey: bytes | str) -> None:
        """Set the process's authentication key (bytes, or a str, which is UTF-8 encoded)."""
        if isinstance(authkey, str):
            authkey = authkey.encode()
        if not isinstance(authkey, (bytes, bytearray)):
            raise TypeError(f"setAuthKey: authkey must be bytes or str, not {authkey!r}")
        self.authkey = bytes(authkey)


def _give_every_process_the_old_names() -> None:
    """Add the old accessors to ``multiprocessing.process.BaseProcess`` itself.

    ``currentProcess()`` must return the very object ``multiprocessing.current_process()``
    does (the main process, a pool worker, a manager's server, a plain multiprocessing
    child): a wrapper would break identity, and a name set through one would not be the one
    multiprocessing logs and reports. Every accessor added is a camelCase name the standard
    library does not define, so nothing multiprocessing or a program using it relies on
    changes; only importing ``processing.process`` (what ``currentProcess`` and ``Process``
    load) does this.
    """
    for mixin in (OldProcessNames, OldProcessOnlyNames):
        for name, value in vars(mixin).items():
            public = callable(value) and not name.startswith("_")
            if public and not hasattr(_mp_process.BaseProcess, name):
                setattr(_mp_process.BaseProcess, name, value)


class Process(OldProcessNames, OldProcessOnlyNames, multiprocessing.Process):
    """Process: activity run in a separate process; its target and arguments must pickle."""

    _stoppable: bool | None = None  # None: not set, stop() allowed (0.34); False: refused
    _popen: Any
    _parent_pid: int | None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._logging = _logger.carried()
        self._ready_reader: Any = None
        self._ready_writer: Any = None

    def start(self) -> None:
        """Start the process; an unpicklable target or argument is named in the error."""
        if STOP_SIGNAL is not None and self._stoppable is not False:
            # The child says when it can take stop(): a signal before that would kill it.
            self._ready_reader, self._ready_writer = connection.Pipe(duplex=False)
        try:
            super().start()
        except (pickle.PicklingError, AttributeError, TypeError) as error:
            self._close_ready_pipe()
            culprit = _unpicklable_part(self)
            if culprit is None:
                raise
            if _under_procrun():
                advice = (
                    "procrun pickles functions, lambdas and closures by value, but not this: "
                    "pass what the child can rebuild it from (a path, not an open file) or "
                    "its process-shared counterpart (processing.Lock, not threading.Lock)"
                )
            else:
                advice = (
                    "Use a function defined at module level (not a lambda, closure, nested "
                    "function or bound method), or run the script with procrun, which pickles "
                    "lambdas and closures by value"
                )
            raise pickle.PicklingError(
                f"cannot start {self.name}: {culprit} cannot be pickled, and the "
                f"{_start_method(self)} start method sends the target and its arguments to "
                f"the child by pickling. {advice}. ({error})"
            ) from error
        if self._ready_writer is not None:
            self._ready_writer.close()
            self._ready_writer = None

    def setStoppable(self, value: bool) -> None:
        """Whether ``stop()`` may be used on this process (before ``start()``; 0.35-0.37)."""
        if self._popen is not None:
            raise ValueError(f"setStoppable: {self.name} has already started")
        self._stoppable = bool(value)

    def getStoppable(self) -> bool:
        """Whether ``stop()`` may be used on this process."""
        return self._stoppable is not False and STOP_SIGNAL is not None

    def stop(self) -> None:
        """Raise ``ProcessExit`` in the child (it may catch it; uncaught, the child exits)."""
        if STOP_SIGNAL is None:
            raise NotImplementedError("stop() needs POSIX signals; use terminate() on Windows")
        if self._stoppable is False:
            raise ValueError(f"stop: {self.name} was made unstoppable with setStoppable(False)")
        if self._popen is None:
            raise ValueError(f"stop: {self.name} has not been started")
        reader = self._ready_reader
        if reader is not None:
            connection.wait([reader, self.sentinel])
            self._close_ready_pipe()
        if self._popen.poll() is None:
            try:
                os.kill(self._popen.pid, STOP_SIGNAL)
            except ProcessLookupError:
                pass  # it ended meanwhile

    def _close_ready_pipe(self) -> None:
        for end in (self._ready_reader, self._ready_writer):
            if end is not None:
                end.close()
        self._ready_reader = self._ready_writer = None

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_ready_reader"] = None  # only the parent waits on it
        return state

    def _bootstrap(self, parent_sentinel: Any = None) -> int:
        """In the child, first: repeat the parent's logging, and take ``stop()`` from the
        moment ``run()`` starts (a ``stop()`` waits for that)."""
        _logger.repeat_in_child(self._logging)
        if STOP_SIGNAL is not None and self._stoppable is not False:
            signal.signal(STOP_SIGNAL, _raise_process_exit)
        writer, self._ready_writer = self._ready_writer, None
        if writer is not None:
            run = self.run

            def run_when_stoppable() -> None:
                del self.run
                try:
                    writer.send_bytes(b"running")
                finally:
                    writer.close()
                run()

            self.run = run_when_stoppable  # type: ignore[method-assign]
        return int(super()._bootstrap(parent_sentinel))  # type: ignore[misc]

    def __repr__(self) -> str:
        """``<Process(name, initial|started|stopped|stopped[SIGTERM]|stopped[N])>``."""
        if self is _mp_process.current_process():
            status = "started"
        elif self._parent_pid != os.getpid():
            status = "unknown"
        elif self._popen is None:
            status = "initial"
        else:
            code = self._popen.poll()
            if code is None:
                status = "started"
            elif code == 0:
                status = "stopped"
            else:
                status = f"stopped[{_exit_code_name(code)}]"
        daemon = " daemon" if self.daemon else ""
        return f"<{type(self).__name__}({self.name}, {status}{daemon})>"


def _raise_process_exit(signum: int, frame: object) -> None:
    raise ProcessExit


def _exit_code_name(code: int) -> str:
    if code == PROCESS_EXIT_CODE:
        return "ProcessExit"
    if code < 0:
        try:
            return signal.Signals(-code).name
        except ValueError:
            pass
    return str(code)


def _start_method(process: multiprocessing.process.BaseProcess) -> str:
    method = getattr(process, "_start_method", None)
    return str(method or multiprocessing.get_start_method())


def _under_procrun() -> bool:
    """Whether procrun runs this script (then its by-value pickling has been tried)."""
    state = sys.modules.get("procrun.state")
    return state is not None and getattr(state, "target", None) is not None


def _unpicklable_part(process: multiprocessing.process.BaseProcess) -> str | None:
    """'its target f (function)' or 'argument 2 (lambda)', for the first part that fails."""
    from multiprocessing.reduction import ForkingPickler

    parts: list[tuple[str, Any]] = [("its target", getattr(process, "_target", None))]
    parts += [(f"argument {i}", value) for i, value in enumerate(getattr(process, "_args", ()))]
    parts += [(f"keyword argument {k!r}", v) for k, v in getattr(process, "_kwargs", {}).items()]
    for label, value in parts:
        try:
            ForkingPickler.dumps(value)
        except RuntimeError:
            continue  # a Lock, Queue...: shared by inheritance when the child starts
        except Exception:
            name = getattr(value, "__qualname__", None) or type(value).__name__
            return f"{label} {name} ({type(value).__name__})"
    return None


def info(message: str) -> None:
    """info: write ``[process name] message`` on stderr (0.35; later versions log instead)."""
    sys.stderr.write(f"[{multiprocessing.current_process().name}] {message}\n")


def debug(message: str) -> None:
    """debug: log ``message`` at DEBUG through processing's logger, if ``enableLogging()`` set
    one up (0.35 printed it only when verbose; the logger's level is that switch now)."""
    logger = _logger.getLogger()
    if logger is not None:
        logger.debug(message)


def currentProcess() -> multiprocessing.process.BaseProcess:
    """currentProcess: the Process object of the calling process."""
    return multiprocessing.current_process()


def activeChildren() -> list[multiprocessing.process.BaseProcess]:
    """activeChildren: the children of this process still running (and joins finished ones)."""
    return multiprocessing.active_children()


def cpuCount() -> int:
    """cpuCount: the number of CPUs in the system."""
    return multiprocessing.cpu_count()


def waitForAnyChild(
    block: bool = True, timeout: float | None = None
) -> (
    tuple[int, int, multiprocessing.process.BaseProcess]
    | multiprocessing.process.BaseProcess
    | None
):
    """waitForAnyChild: wait for a child to end; ``(pid, exitcode, process)``, the child
    joined, so that ``waitForAnyChild()[:2]`` is what ``os.wait()`` gives (0.52).

    With ``block=False`` and no child ended: None. With no children: ``ChildProcessError``,
    as ``os.wait()``. Given ``timeout`` (procrun's earlier form, kept for the programs
    written against it): the process itself, or None once ``timeout`` seconds pass.
    """
    if not isinstance(block, (bool, int)):
        raise TypeError(f"waitForAnyChild: block must be True or False, not {block!r}")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))):
        raise TypeError(f"waitForAnyChild: timeout must be seconds or None, not {timeout!r}")
    children = [child for child in _children() if getattr(child, "_popen", None)]
    if not children:
        if timeout is not None:
            return None
        raise ChildProcessError("waitForAnyChild: this process has no children to wait for")
    while True:
        for child in children:
            if child.exitcode is not None:
                child.join()
                if timeout is not None:
                    return child
                assert child.pid is not None and child.exitcode is not None
                return child.pid, child.exitcode, child
        if not block:
            return None
        if not connection.wait([child.sentinel for child in children], timeout):
            return None


def _children() -> list[multiprocessing.process.BaseProcess]:
    # Not active_children(): it joins (and forgets) the ended children this must report.
    return list(getattr(_mp_process, "_children", ()))


def _watch_joins() -> None:
    # Guideline: joining a child before getting what it put on a queue can deadlock.
    from .queues import install_join_watch

    install_join_watch(Process)


_give_every_process_the_old_names()
_watch_joins()
