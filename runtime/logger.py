"""Logging: the processing package's ``enableLogging``/``getLogger`` on multiprocessing's logger.

``processing`` logged through one logger that did not exist until ``enableLogging()`` was
called (``getLogger()`` was None before), and whose set-up every child process repeated.
Here that logger is ``multiprocessing``'s own (``multiprocessing.get_logger()``), so the
messages multiprocessing already writes (a child calling ``run()``, a manager serving, a
process exiting) are the ones a legacy program sees. Children must log too: a forked child
inherits the set-up; a spawned or forkserver child gets the level and the default stderr
handler from multiprocessing's own preparation data (``log_to_stderr``); a custom handler
travels with :class:`processing.Process` objects and pool workers (see :func:`carried`).

``logging`` is imported only when logging is enabled: children import this module.
"""

from __future__ import annotations

import pickle
from multiprocessing import util

TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging
    from typing import Any

__all__ = [
    "DEBUG",
    "DEFAULT_FORMAT",
    "INFO",
    "NOTSET",
    "SUBDEBUG",
    "SUBWARNING",
    "enableLogging",
    "getLogger",
]

#: The package's levels: the logging module's, plus two of its own between them.
NOTSET = util.NOTSET
SUBDEBUG = util.SUBDEBUG
DEBUG = util.DEBUG
INFO = util.INFO
SUBWARNING = util.SUBWARNING

#: The format processing used by default (``processName`` is a LogRecord attribute today).
DEFAULT_FORMAT = util.DEFAULT_LOGGING_FORMAT

#: (level, HandlerType, handlerArgs, format) of the last ``enableLogging`` call, when it
#: pickles (so a child can repeat it); None otherwise.
_carried: tuple[Any, ...] | None = None


def getLogger() -> logging.Logger | None:
    """getLogger: the logger processing uses, or None if ``enableLogging()`` was never called."""
    return util._logger  # type: ignore[attr-defined]


def enableLogging(
    level: int | str,
    HandlerType: Any = None,
    handlerArgs: tuple[Any, ...] | list[Any] = (),
    format: str | None = None,
) -> None:
    """enableLogging: log processing's activity at ``level``, to stderr unless a
    ``HandlerType(*handlerArgs)`` is given (which replaces any earlier handler)."""
    global _carried
    if isinstance(level, bool) or not isinstance(level, (int, str)):
        raise TypeError(f"enableLogging: level must be a logging level (int), not {level!r}")
    if HandlerType is not None and not callable(HandlerType):
        raise TypeError(
            f"enableLogging: HandlerType must be a logging.Handler class, not {HandlerType!r}"
        )
    if not isinstance(handlerArgs, (tuple, list)):
        raise TypeError(f"enableLogging: handlerArgs must be a tuple, not {handlerArgs!r}")
    if format is not None and not isinstance(format, str):
        raise TypeError(f"enableLogging: format must be a string, not {format!r}")
    import logging

    logger = util.get_logger()
    logger.setLevel(level)
    if HandlerType is None and logger.handlers:
        return
    handler = (HandlerType or logging.StreamHandler)(*handlerArgs)
    if not isinstance(handler, logging.Handler):
        raise TypeError(f"enableLogging: HandlerType {HandlerType!r} did not make a Handler")
    handler.setFormatter(logging.Formatter(format or DEFAULT_FORMAT))
    logger.handlers = [handler]
    # multiprocessing sends this flag to spawn and forkserver children, which then log to
    # stderr in the default format themselves (pool workers, managers' servers included).
    util._log_to_stderr = HandlerType is None and format is None  # type: ignore[attr-defined]
    config = (level, HandlerType, tuple(handlerArgs), format)
    try:
        pickle.dumps(config)
    except Exception:
        _carried = (level, None, (), None)  # e.g. a stream argument: the child logs to stderr
    else:
        _carried = config


def carried() -> tuple[Any, ...] | None:
    """The set-up a child started now should repeat (None: logging was never enabled)."""
    return _carried


def repeat_in_child(config: tuple[Any, ...] | None) -> None:
    """In a child: repeat the parent's ``enableLogging`` unless the set-up came along
    already (inherited under fork, or made by multiprocessing's ``log_to_stderr``)."""
    if config is None:
        return
    logger = util._logger  # type: ignore[attr-defined]
    if logger is not None and logger.handlers:
        return
    enableLogging(*config)
