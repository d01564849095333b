"""Pipes, listeners and clients with the ``processing`` package's names, and what may not
travel through them.

``Pipe()`` returns ``multiprocessing``'s connections with the old names as well
(``sendBytes``, ``recvBytes``, ``recvBytesInto``). Both ends can be passed to a ``Process``
as arguments, as ``multiprocessing``'s can. Whatever class ``multiprocessing.Pipe()`` makes
(a socket-based ``Connection`` on POSIX, a named-pipe ``PipeConnection`` on Windows) keeps
its own transport and pickling; the names come from a mixin, ``OldConnectionNames``.
The connections that ``Listener.accept()`` and ``Client()`` return get them too, and both
take the old ``authenticate=`` flag and a ``str`` authkey, as Python 2 programs gave.

The programming guidelines warn that Lock, RLock, Semaphore, BoundedSemaphore, Condition,
Event, Queue and the shared values and arrays reach another process only by inheritance.
Here that is behaviour: sending one through a pipe, or putting one on a ``processing``
queue, raises ``InheritanceOnlyError`` in the sender, and the message says to pass the
object to the ``Process`` instead. (``multiprocessing`` refuses them too, but its message,
"Lock objects should only be shared between processes through inheritance", does not say
what to do, names an Event or a Barrier "Condition", and a ``multiprocessing.Queue`` only
prints it from its feeder thread and drops the item.)

Other types join the list with a true class attribute ``_processing_inherit_only``
(``processing.sharedmem``'s SharedValue, SharedStruct and SharedArray are recognised by
name as well).
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection as _mp_connection
import sys
from multiprocessing import reduction

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs start-up time in every child, so only for the type checker
    from collections.abc import Callable
    from typing import Any

    _ConnectionBase = _mp_connection._ConnectionBase[Any, Any]
    _SocketConnection = _mp_connection.Connection[Any, Any]
else:
    _ConnectionBase = _mp_connection._ConnectionBase
    _SocketConnection = _mp_connection.Connection

__all__ = [
    "AuthenticationError",
    "BufferTooShort",
    "Client",
    "Connection",
    "InheritanceOnlyError",
    "Listener",
    "OldConnectionNames",
    "Pipe",
    "answer_challenge",
    "connections_are_picklable",
    "deliver_challenge",
    "families",
    "inherit_only_kind",
    "inherit_only_type",
    "refusal_kind",
    "refusal_message",
]

#: A class attribute that, when true, makes instances refuse to travel (duck-typed).
INHERIT_ONLY_MARKER = "_processing_inherit_only"

#: multiprocessing's own refusal (``context.assert_spawning``): "<Kind> objects should only
#: be shared between processes through inheritance".
_MP_REFUSAL = " objects should only be shared between processes through inheritance"

#: Classes whose instances only inheritance can share, by module (looked up only in modules
#: already imported: an object cannot be an instance of a class that was never loaded).
_INHERIT_ONLY_CLASSES = (
    ("multiprocessing.synchronize", ("SemLock", "Condition", "Event", "Barrier")),
    ("multiprocessing.queues", ("Queue", "SimpleQueue")),
    ("multiprocessing.sharedctypes", ("SynchronizedBase",)),
    ("processing.sharedmem", ("SharedValue", "SharedStruct", "SharedArray")),
)
#: What users call the classes ``multiprocessing.Value()`` and ``Array()`` return.
_USER_NAMES = {"Synchronized": "Value", "SynchronizedArray": "Array", "SynchronizedString": "Array"}

#: A verdict meaning "a ctypes type: ask multiprocessing whether it is shared memory now".
_RAW_CTYPES = "raw ctypes"
#: Past this many items, a tuple, list or dict is not searched (put() stays O(1)).
_SCAN_LIMIT = 16
_CACHE_LIMIT = 4096


class InheritanceOnlyError(RuntimeError):
    """A Lock, Queue or shared value put on a queue or sent through a pipe: pass it to Process."""


def inherit_only_kind(obj: object) -> str | None:
    """The kind of ``obj`` ("Lock", "Queue", ...) if only inheritance can share it, else None.

    Looks at ``obj`` and at the items of a small tuple, list or dict (``q.put((lock, 1))``);
    deeper nesting is left to the pickler, whose refusal ``refusal_kind`` recognises.
    """
    # Called at every put(): the common cases cost a set look-up per object.
    cls = type(obj)
    if cls in _plain:
        return None
    if cls is tuple or cls is list:
        items: Any = obj
    elif cls is dict:
        items = obj.values()  # type: ignore[attr-defined]
    else:
        return inherit_only_type(cls)
    if len(items) > _SCAN_LIMIT:
        return None
    safe = _safe
    for item in items:
        if type(item) not in safe:
            kind = inherit_only_type(type(item))
            if kind is not None:
                return kind
    return None


#: Types known to travel (``_plain``: other than tuple, list and dict, whose items may not).
_safe: set[type] = {tuple, list, dict}
_plain: set[type] = set()
#: Types that may not travel: their kind ("Lock"), or ``_RAW_CTYPES``.
_verdicts: dict[type, str] = {}


def inherit_only_type(cls: type) -> str | None:
    """The kind of ``cls``'s instances ("Lock", ...) if only inheritance can share them."""
    if cls in _safe:
        return None
    kind = _verdicts.get(cls)
    if kind is None:
        if len(_plain) + len(_verdicts) > _CACHE_LIMIT:  # classes made at run time
            _plain.clear()
            _verdicts.clear()
            _safe.intersection_update((tuple, list, dict))
        kind = _classify(cls)
        if kind is None:
            _safe.add(cls)
            _plain.add(cls)
            return None
        _verdicts[cls] = kind
    if kind is _RAW_CTYPES:
        return _raw_shared_kind(cls)
    return kind


def _classify(cls: type) -> str | None:
    if getattr(cls, INHERIT_ONLY_MARKER, False):
        return _public_name(cls)
    for module_name, class_names in _INHERIT_ONLY_CLASSES:
        module = sys.modules.get(module_name)
        if module is None:
            continue
        for class_name in class_names:
            base = getattr(module, class_name, None)
            if isinstance(base, type) and issubclass(cls, base):
                return _public_name(cls)
    if any(klass.__module__ == "_ctypes" for klass in cls.__mro__[1:]):
        # RawValue()/RawArray() register their ctypes type with the pickler when they are
        # made, so the answer can change later: decided at each call, not cached.
        return _RAW_CTYPES
    return None


def _public_name(cls: type) -> str:
    # processing.Event() makes a private subclass (_Event) of multiprocessing's Event
    name = next(k.__name__ for k in cls.__mro__ if not k.__name__.startswith("_"))
    return _USER_NAMES.get(name, name)


def _raw_shared_kind(cls: type) -> str | None:
    sharedctypes = sys.modules.get("multiprocessing.sharedctypes")
    if sharedctypes is None:
        return None
    extra_reducers: dict[type, Any] = reduction.ForkingPickler._extra_reducers  # type: ignore[attr-defined]
    if extra_reducers.get(cls) is not sharedctypes.reduce_ctype:
        return None
    return "RawArray" if hasattr(cls, "_length_") else "RawValue"


def refusal_kind(error: BaseException, obj: object = None) -> str | None:
    """The kind refused by multiprocessing's "only through inheritance" error, else None.

    The error names the innermost class (the Condition inside an Event, ``c_int`` for a
    RawValue); the kind is looked for in ``obj``, the object that was being pickled, first.
    """
    if not isinstance(error, RuntimeError) or isinstance(error, InheritanceOnlyError):
        return None
    text = str(error)
    if not text.endswith(_MP_REFUSAL):
        return None
    kind = _find_inherit_only(obj, depth=4)
    if kind is None:
        kind = text[: -len(_MP_REFUSAL)]
    return _USER_NAMES.get(kind, kind)


def _find_inherit_only(obj: object, depth: int) -> str | None:
    # Only on the error path: a bounded walk through containers and attributes.
    kind = inherit_only_type(type(obj))
    if kind is not None or depth == 0:
        return kind
    if isinstance(obj, (tuple, list, set, frozenset)):
        items: Any = obj
    elif isinstance(obj, dict):
        items = obj.values()
    elif hasattr(obj, "__dict__") and not isinstance(obj, type):
        items = vars(obj).values()
    else:
        return None
    for item in items:
        kind = _find_inherit_only(item, depth - 1)
        if kind is not None:
            return kind
    return None


def refusal_message(kind: str, action: str) -> str:
    """Why a ``kind`` cannot be ``action`` ("put on a queue"), and what to do instead."""
    article = "an" if kind[:1] in "AEIOU" else "a"
    variable = "".join(  # RawArray -> raw_array, RLock -> rlock
        f"_{c.lower()}" if c.isupper() and kind[i - 1 : i].islower() else c.lower()
        for i, c in enumerate(kind)
    )
    return (
        f"{article} {kind} cannot be {action}: {kind} objects reach another process only by "
        f"inheritance. Pass it to the child as a Process argument instead, as in "
        f"Process(target=work, args=({variable},)), and use it there (for a Pool: "
        f"initializer= and initargs=)."
    )


class OldConnectionNames(_ConnectionBase):
    """What ``processing`` adds to a connection: the old names, and a send() that refuses
    inherit-only objects. Mixed into whichever class ``multiprocessing.Pipe()`` returns."""

    # Instances change class in place (_with_old_names), which needs the same layout: a
    # subclass of the base every connection class shares, adding no slots.
    __slots__ = ()

    def send(self, obj: Any) -> None:
        """Send a picklable object; a Lock, Queue or shared value raises InheritanceOnlyError."""
        kind = inherit_only_kind(obj)
        if kind is None:
            try:
                return super().send(obj)
            except RuntimeError as error:
                kind = refusal_kind(error, obj)
                if kind is None:
                    raise
        raise InheritanceOnlyError(refusal_message(kind, "sent through a pipe"))

    def sendBytes(self, buf: Any, offset: int = 0, size: int | None = None) -> None:
        """Send ``size`` bytes of a bytes-like object from ``offset`` (old name of send_bytes)."""
        self.send_bytes(buf, offset, size)

    def recvBytes(self, maxlength: int | None = None) -> bytes:
        """Receive one message sent by sendBytes() (old name of recv_bytes)."""
        return self.recv_bytes(maxlength)

    def recvBytesInto(self, buf: Any, offset: int = 0) -> int:
        """Receive one message into a writable buffer at ``offset``; its size (recv_bytes_into)."""
        return self.recv_bytes_into(buf, offset)

    # processing 0.3x spelt them in lower case
    sendbytes = sendBytes
    recvbytes = recvBytes
    recvbytes_into = recvBytesInto


class Connection(OldConnectionNames, _SocketConnection):
    """One end of a Pipe: send()/recv() objects, sendBytes()/recvBytes() raw bytes.

    POSIX's connection (a socket pair or an os.pipe). On Windows, ``Pipe()`` returns
    named-pipe connections instead (``PipeConnection``), with the same names added;
    ``isinstance(end, OldConnectionNames)`` holds for both.
    """

    __slots__ = ()


def Pipe(duplex: bool = True) -> tuple[OldConnectionNames, OldConnectionNames]:
    """Two connected ends; with ``duplex=False`` the first only receives, the second only sends."""
    first, second = _mp_connection.Pipe(duplex)
    return _with_old_names(first), _with_old_names(second)


#: multiprocessing's connection class -> the same class with the old names.
_with_names: dict[type, type[OldConnectionNames]] = {}


def _with_old_names(conn: Any) -> OldConnectionNames:
    # multiprocessing made the connection: a socket pair or an os.pipe on POSIX, a named pipe
    # with overlapped I/O on Windows. The subclass only adds methods, so the same object
    # changes class rather than being rebuilt, and keeps its own transport.
    base = type(conn)
    if not issubclass(base, OldConnectionNames):
        conn.__class__ = _with_names.get(base) or _names_class_for(base)
    return conn


def _names_class_for(base: type) -> type[OldConnectionNames]:
    """``base`` with the old names: made once per class, with its pickling registered."""
    if base is _SocketConnection:
        cls: type[OldConnectionNames] = Connection
    else:
        cls = type(
            base.__name__,
            (OldConnectionNames, base),
            {"__slots__": (), "__module__": __name__, "__doc__": Connection.__doc__},
        )
    # The pickler looks reducers up by exact type: without this, a connection passed to a
    # spawned Process would be pickled as a plain object and arrive without its descriptor.
    reduction.register(cls, _reduce_connection)
    _with_names[base] = cls
    return cls


def _reduce_connection(conn: Any) -> tuple[Callable[..., Any], tuple[Any, ...]]:
    # multiprocessing's reducer of the original class: DupFd for a socket or pipe descriptor
    # on POSIX, DupHandle for a named pipe on Windows. The end arrives with the old names.
    base = next(k for k in type(conn).__mro__ if not issubclass(k, OldConnectionNames))
    reducers: dict[type, Any] = reduction.ForkingPickler._extra_reducers  # type: ignore[attr-defined]
    reduce = next((reducers[k] for k in base.__mro__ if k in reducers), None)
    if reduce is None:
        raise TypeError(f"multiprocessing cannot send a {base.__name__} to another process")
    rebuild, args = reduce(conn)
    return _rebuild_connection, (rebuild, args)


def _rebuild_connection(rebuild: Callable[..., Any], args: tuple[Any, ...]) -> OldConnectionNames:
    return _with_old_names(rebuild(*args))


_names_class_for(_SocketConnection)


# -- Listener and Client ------------------------------------------------------------------

AuthenticationError = multiprocessing.AuthenticationError
BufferTooShort = multiprocessing.BufferTooShort

#: The address families this platform can listen on ('AF_INET', 'AF_UNIX', 'AF_PIPE').
families: list[str] = list(getattr(_mp_connection, "families"))  # noqa: B009
#: The family a Listener without an address uses (the fastest this platform has).
default_family: str | None = getattr(_mp_connection, "default_family", None)
#: Whether a connection can be pickled and sent to another process (always, since 2.6).
connections_are_picklable = True

# public in multiprocessing.connection, though not in its __all__ (nor its type stubs)
arbitrary_address: Callable[[str], Any] = getattr(_mp_connection, "arbitrary_address")  # noqa: B009
address_type: Callable[[Any], str] = getattr(_mp_connection, "address_type")  # noqa: B009
arbitraryAddress = arbitrary_address
addressType = address_type


def _authkey(authkey: Any, authenticate: bool, where: str) -> bytes | None:
    """The key to authenticate with: ``authkey`` as bytes, this process's own key when only
    ``authenticate`` is true, None for no authentication."""
    if authkey is None:
        return bytes(multiprocessing.current_process().authkey) if authenticate else None
    if isinstance(authkey, str):  # a Python 2 program's str: the same text on both ends
        return authkey.encode("utf-8")
    if isinstance(authkey, (bytes, bytearray, memoryview)):
        return bytes(authkey)
    raise TypeError(f"{where}: authkey must be bytes or a str (or None), not {authkey!r}")


def _check_address(address: Any, where: str) -> None:
    if not isinstance(address, (tuple, str, bytes)):
        raise TypeError(
            f"{where}: address must be a (host, port) tuple, a socket file name or a "
            f"Windows pipe name (r'\\\\.\\pipe\\name'), not {address!r}"
        )


class Listener(_mp_connection.Listener):
    """Listener: a bound socket (or Windows named pipe) that accept()s connections.

    With ``authkey`` (or ``authenticate=True``: this process's authkey), both ends prove they
    know the key before accept() returns, or AuthenticationError is raised.
    """

    def __init__(
        self,
        address: Any = None,
        family: str | None = None,
        backlog: int = 1,
        authenticate: bool = False,
        authkey: Any = None,
    ) -> None:
        if address is not None:
            _check_address(address, "Listener")
        super().__init__(address, family, backlog, _authkey(authkey, authenticate, "Listener"))

    def accept(self) -> OldConnectionNames:  # type: ignore[override]
        """Wait for a client, authenticate it if asked to, and return its connection."""
        return _with_old_names(super().accept())


def Client(
    address: Any, family: str | None = None, authenticate: bool = False, authkey: Any = None
) -> OldConnectionNames:
    """Client: a connection to the Listener at ``address`` (authenticated with ``authkey``)."""
    _check_address(address, "Client")
    key = _authkey(authkey, authenticate, "Client")
    return _with_old_names(_mp_connection.Client(address, family, authkey=key))


def deliver_challenge(connection: Any, authkey: Any) -> None:
    """Send ``connection`` a random message; AuthenticationError unless its digest comes back."""
    key = _authkey(authkey, True, "deliver_challenge")
    _mp_connection.deliver_challenge(connection, key)  # type: ignore[arg-type]


def answer_challenge(connection: Any, authkey: Any) -> None:
    """Answer deliver_challenge() at the other end; AuthenticationError if it is refused."""
    key = _authkey(authkey, True, "answer_challenge")
    _mp_connection.answer_challenge(connection, key)  # type: ignore[arg-type]


deliverChallenge = deliver_challenge
answerChallenge = answer_challenge
