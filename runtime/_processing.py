"""``processing._processing``: what the original package's C extension offered, on the stdlib.

Programs and test suites written for processing 0.3x-0.52 read this module directly: its
platform flags (``HAVE_BROKEN_SEM_GETVALUE`` decides whether a suite checks
``Semaphore.getValue()``), its exception classes, and its few helpers (passing a file
descriptor over a Unix socket, the address of a writable buffer). Each maps to what
``multiprocessing`` and ``socket`` provide now. A flag exists only where the original
defined it (none on Windows), since programs test them with ``getattr(..., False)``.

The Python 2 buffer helpers become ``memoryview``: ``readWriteBuffer`` returns a writable
view, ``addressOfBuffer`` the view's address through ``ctypes``.
"""

from __future__ import annotations

import sys
from multiprocessing import BufferTooShort, ProcessError
from multiprocessing.connection import Connection

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "BufferTooShort",
    "Connection",
    "ProcessError",
    "addressOfBuffer",
    "readWriteBuffer",
]

try:
    # The C type, absent where there is no sem_open; typeshed has no stub for the module.
    from _multiprocessing import SemLock as SemLock  # type: ignore[import-not-found]

    __all__.append("SemLock")
except ImportError:  # pragma: no cover - platform without named semaphores
    pass

if sys.platform == "win32":
    from multiprocessing.connection import PipeConnection as PipeConnection

    __all__.append("PipeConnection")
else:
    #: Named semaphores (``sem_open``) exist here.
    HAVE_SEM_OPEN = 1
    #: ``sem_timedwait`` exists here (not on macOS, where waits with a timeout poll).
    HAVE_SEM_TIMEDWAIT = 0 if sys.platform == "darwin" else 1
    #: File descriptors can be passed between processes (sendFd/recvFd).
    HAVE_FD_TRANSFER = 1
    __all__ += ["HAVE_FD_TRANSFER", "HAVE_SEM_OPEN", "HAVE_SEM_TIMEDWAIT", "recvFd", "sendFd"]
    if sys.platform == "darwin":
        #: ``sem_getvalue`` does not work here: ``Semaphore.getValue()`` raises.
        HAVE_BROKEN_SEM_GETVALUE = 1
        __all__.append("HAVE_BROKEN_SEM_GETVALUE")

    def sendFd(sockfd: int, fd: int) -> None:
        """Send the file descriptor ``fd`` over the Unix socket whose descriptor is ``sockfd``."""
        import socket

        with socket.socket(fileno=_dup(sockfd)) as sock:
            socket.send_fds(sock, [b"\0"], [_descriptor(fd, "fd")])

    def recvFd(sockfd: int) -> int:
        """Receive a file descriptor over the Unix socket whose descriptor is ``sockfd``."""
        import socket

        with socket.socket(fileno=_dup(sockfd)) as sock:
            _, fds, _, _ = socket.recv_fds(sock, 1, 1)
        if not fds:
            raise OSError(f"recvFd: no file descriptor came over socket {sockfd}")
        return fds[0]

    def _dup(sockfd: int) -> int:
        import os

        return os.dup(_descriptor(sockfd, "sockfd"))


def _descriptor(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be a file descriptor (int), not {type(value).__name__}")
    return value


def readWriteBuffer(obj: Any, offset: int = 0, size: int = -1) -> memoryview:
    """A writable view of ``obj``'s buffer from ``offset``, of ``size`` bytes (-1: the rest)."""
    view = memoryview(obj).cast("B")
    if view.readonly:
        raise TypeError(f"readWriteBuffer: {type(obj).__name__} object is read-only")
    if offset < 0 or offset > len(view):
        raise ValueError(f"readWriteBuffer: offset {offset} outside a {len(view)}-byte buffer")
    end = len(view) if size < 0 else min(len(view), offset + size)
    return view[offset:end]


def addressOfBuffer(obj: Any) -> tuple[int, int]:
    """``(address, length)`` of ``obj``'s writable buffer."""
    import ctypes

    view = readWriteBuffer(obj)
    if len(view) == 0:
        return 0, 0
    return ctypes.addressof(ctypes.c_char.from_buffer(view)), len(view)
