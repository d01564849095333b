"""Messages for the user on stderr, where the process has one.

A windowed app (``pythonw``, a PyInstaller ``--windowed`` build) starts with ``sys.stderr``
set to None; python then drops what it would print (warnings, tracebacks). ``processing``'s
own messages are dropped the same way, rather than failing with AttributeError in the middle
of a child start or in a queue's feeder thread.
"""

from __future__ import annotations

import sys

__all__ = ["say"]


def say(text: str) -> None:
    """Write ``text`` to stderr and flush it; nothing if there is no stderr or it is closed."""
    stream = sys.stderr
    if stream is None:
        return
    try:
        stream.write(text)
        stream.flush()
    except (OSError, ValueError):  # closed, or its pipe has gone: as python, say nothing
        pass
