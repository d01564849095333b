"""processing.dummy.connection: connections between threads, with the processing package's names.

``multiprocessing.dummy.connection`` (queues instead of sockets) plus the names the
``processing`` package gave a connection's byte methods (``sendBytes``/``recvBytes`` and
0.3x's ``sendbytes``/``recvbytes``), so thread-based code written for it runs unchanged.
Objects pass by reference: nothing is pickled.
"""

from __future__ import annotations

from multiprocessing.dummy import connection as _connection
from queue import Queue

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["Client", "Connection", "Listener", "Pipe"]

#: Address families: a Listener's address is a queue, so there is only the one.
families = [None]
#: Connections between threads are plain objects, so they can be passed anywhere.
connections_are_picklable = True


class Connection(_connection.Connection):
    """One end of a connection between threads: ``send``/``recv`` (and the byte methods under
    every name the processing package used) pass objects by reference."""

    def __init__(self, _in: Queue[Any], _out: Queue[Any]) -> None:
        super().__init__(_in, _out)
        self.sendBytes = self.sendbytes = _out.put
        self.recvBytes = self.recvbytes = _in.get


class Listener(_connection.Listener):
    """Accepts connections from ``Client(listener.address)`` in other threads."""

    def accept(self) -> Connection:
        """Wait for a client; the connection to it."""
        backlog = self._backlog_queue
        if backlog is None:
            raise OSError("accept() on a closed Listener: accept before close()")
        return Connection(*backlog.get())


def Client(address: Queue[Any]) -> Connection:
    """A connection to the Listener whose ``address`` is given."""
    _in: Queue[Any] = Queue()
    _out: Queue[Any] = Queue()
    address.put((_out, _in))
    return Connection(_in, _out)


def Pipe(duplex: bool = True) -> tuple[Connection, Connection]:
    """Two connected connections (both ends can send: threads need no one-way pipes)."""
    a: Queue[Any] = Queue()
    b: Queue[Any] = Queue()
    return Connection(a, b), Connection(b, a)
