"""Sending connections, sockets and descriptors to other processes, with ``processing``'s names.

In ``processing`` (0.40-0.52) importing this module was what made connections and sockets
picklable; ``multiprocessing`` always does it, so ``connections_are_picklable`` is simply
true, and a connection or socket may be sent through a ``Queue``, a ``Pipe`` or a manager as
is. The functions remain for programs that call them: ``reduce_connection(conn)`` returns a
``(rebuild, args)`` pair that can be pickled and sent; ``rebuild(*args)`` in the receiving
process (a child of the sender, or one sharing its authkey) returns a connection to the same
pipe or socket, with the old method names. The descriptor is kept open by the sender until
it is rebuilt (``multiprocessing.resource_sharer``).
"""

from __future__ import annotations

import multiprocessing.reduction as _mp_reduction
import os
import sys

from .connection import _reduce_connection

TYPE_CHECKING = False
if TYPE_CHECKING:
    import socket
    from collections.abc import Callable
    from typing import Any

__all__ = [
    "connections_are_picklable",
    "rebuild_connection",
    "rebuild_handle",
    "rebuild_socket",
    "recv_handle",
    "reduce_connection",
    "reduce_handle",
    "reduce_socket",
    "send_handle",
]

#: Whether connections can be pickled and sent to another process: always, these days.
connections_are_picklable = True

#: Send a descriptor (a Windows handle) through a connection to the process ``destination_pid``.
send_handle = _mp_reduction.send_handle
#: Receive a descriptor (a Windows handle) sent by send_handle(); it is open in this process.
recv_handle = _mp_reduction.recv_handle


def reduce_connection(conn: Any) -> tuple[Callable[..., Any], tuple[Any, ...]]:
    """``(rebuild_connection, args)``: picklable, so that another process can rebuild ``conn``."""
    if not hasattr(conn, "recv_bytes"):
        raise TypeError(
            f"reduce_connection() takes a connection (from Pipe or Client), not {conn!r}"
        )
    if conn.closed:
        raise OSError(f"reduce_connection(): {conn!r} is closed")
    return rebuild_connection, (_reduce_connection(conn),)


def rebuild_connection(reduced: tuple[Callable[..., Any], tuple[Any, ...]]) -> Any:
    """The connection that ``reduce_connection()`` was given, in this process (old names too)."""
    rebuild, args = reduced
    return rebuild(*args)


def reduce_socket(sock: socket.socket) -> tuple[Callable[..., Any], tuple[Any, ...]]:
    """``(rebuild_socket, args)``: picklable, so that another process can rebuild ``sock``."""
    reducer: Any = getattr(_mp_reduction, "_reduce_socket")  # noqa: B009  (not in its stubs)
    return rebuild_socket, (reducer(sock),)


def rebuild_socket(reduced: tuple[Callable[..., Any], tuple[Any, ...]]) -> socket.socket:
    """The socket that ``reduce_socket()`` was given, in this process."""
    rebuild, args = reduced
    sock: socket.socket = rebuild(*args)
    return sock


if sys.platform == "win32":
    _POSIX_ONLY = (
        "is POSIX only: on Windows send a handle with send_handle(conn, handle, pid) and "
        "receive it with recv_handle(conn)"
    )

    def reduce_handle(handle: int) -> Any:
        """Not on Windows: send a handle with send_handle(conn, handle, pid) instead."""
        raise NotImplementedError(f"reduce_handle() {_POSIX_ONLY}")

    def rebuild_handle(reduced: Any) -> int:
        """Not on Windows: see reduce_handle()."""
        raise NotImplementedError(f"rebuild_handle() {_POSIX_ONLY}")

else:

    def reduce_handle(handle: int) -> Any:
        """A picklable stand-in for the descriptor ``handle``; rebuild_handle() opens it."""
        if not isinstance(handle, int) or isinstance(handle, bool) or handle < 0:
            raise TypeError(f"reduce_handle() takes a file descriptor (an int), not {handle!r}")
        os.fstat(handle)  # a closed descriptor fails here, in the sender, not in the receiver
        return _mp_reduction.DupFd(handle)

    def rebuild_handle(reduced: Any) -> int:
        """The descriptor that reduce_handle() was given, open in this process."""
        fd: int = reduced.detach()
        return fd


# the names of processing 0.40-0.52
reduceConnection = reduce_connection
rebuildConnection = rebuild_connection
reduceSocket = reduce_socket
rebuildSocket = rebuild_socket
reduceHandle = reduce_handle
rebuildHandle = rebuild_handle
sendHandle = send_handle
recvHandle = recv_handle
