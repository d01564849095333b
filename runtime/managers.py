"""Managers and proxies with the ``processing`` package's API (0.34-0.52), on multiprocessing's.

A manager is a server process holding shared objects; other processes use them through
proxies. ``multiprocessing.managers`` descends from ``processing.managers``, so this module
only puts back what the rename and Python 3 took away, without a layer per call:

- ``CreatorMethod(callable, proxytype, exposed, typeid)`` in a manager's class body (0.52),
  instead of the ``register()`` class method; ``serveForever``/``fromAddress``/``_debugInfo``;
- proxies compare by value with their referent (``l == [0, 1, 4]``: Python 2 compared through
  ``__cmp__``, which the old server always exposed) and are unhashable, as they were;
- a proxy sent to its own manager arrives there as its referent, as the 0.52 docs say (so
  ``a.append(b)`` stores ``b``'s list, and ``str(a)`` shows ``[['hello']]``);
  ``multiprocessing`` (3.6+) stores a proxy inside the server instead;
- ``_callMethod``/``_getValue`` besides ``_callmethod``/``_getvalue``; ``_callMethod`` also
  takes the Python 2 method names old proxy classes send (``next``, ``__getslice__``,
  ``notifyAll``, ``has_key``), and a proxy class defining ``next`` iterates on Python 3;
- ``Manager().SharedValue/SharedStruct/SharedArray`` (0.34-0.37): struct-formatted data held
  by the manager, checked on the caller's side so a bad format or value is a ValueError there.

The list and dict proxies *are* multiprocessing's classes with this module's base mixed in:
``append`` or ``l[i]`` runs exactly multiprocessing's code, at its speed.
"""

from __future__ import annotations

import builtins
import sys
from multiprocessing import get_context
from multiprocessing import process as _mp_process

from .sharedmem import (
    _cannot_hold,
    _compile,
    _pack,
    _require_one_item,
    _short,
    pack_tuple,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from multiprocessing.context import BaseContext
    from typing import Any

    _mpm: Any  # typeshed leaves out most of multiprocessing.managers' working parts
else:
    from multiprocessing import managers as _mpm

__all__ = [
    "BaseManager",
    "BaseProxy",
    "CreatorMethod",
    "Manager",
    "RemoteError",
    "SyncManager",
    "Token",
]

#: Comparisons every referent answers through its proxy: Python 2's server always exposed
#: ``__cmp__``, so old programs compare proxies with plain values.
_COMPARISONS = ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__")


def _slice_call(name: str) -> Callable[[tuple[Any, ...]], tuple[str, tuple[Any, ...]]]:
    def translate(args: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
        return name, (slice(args[0], args[1]), *args[2:])

    return translate


def _renamed(name: str) -> Callable[[tuple[Any, ...]], tuple[str, tuple[Any, ...]]]:
    return lambda args: (name, tuple(args))


#: Python 2 method names an old proxy class passes to ``_callMethod``, and what they became.
_OLD_CALLS = {
    "next": _renamed("__next__"),
    "__getslice__": _slice_call("__getitem__"),
    "__setslice__": _slice_call("__setitem__"),
    "__delslice__": _slice_call("__delitem__"),
    "has_key": _renamed("__contains__"),
    "notifyAll": _renamed("notify_all"),
    "isSet": _renamed("is_set"),
}


RemoteError = _mpm.RemoteError
Token = _mpm.Token

# -- the server ----------------------------------------------------------------------------


class _Server(_mpm.Server):
    """multiprocessing's server, exposing what the old server always did besides the methods:
    comparisons, and ``__next__`` of an iterator (old proxies call it ``next``)."""

    def create(
        self, c: Any, typeid: str, /, *args: Any, **kwds: Any
    ) -> tuple[str, tuple[str, ...]]:
        ident, exposed = super().create(c, typeid, *args, **kwds)
        with self.mutex:
            obj, allowed, method_to_typeid = self.id_to_obj[ident]
            extra: tuple[str, ...] = _COMPARISONS
            if hasattr(obj, "__next__") and "__next__" not in allowed:
                extra += ("__next__",)
                exposed += ("__next__",)
            self.id_to_obj[ident] = (obj, allowed | set(extra), method_to_typeid)
        return ident, exposed


def _rebuild(func: Callable[..., Any], token: Any, serializer: str, kwds: dict[str, Any]) -> Any:
    """Unpickle a proxy: in its own manager's process, the referent itself (0.52's rule)."""
    server = getattr(_mp_process.current_process(), "_manager_server", None)
    if server is not None and server.address == token.address:
        entry = server.id_to_obj.get(token.id) or server.id_to_local_proxy_obj.get(token.id)
        if entry is not None:
            return entry[0]
    return _mpm.RebuildProxy(func, token, serializer, kwds)


# -- proxies -------------------------------------------------------------------------------


class BaseProxy(_mpm.BaseProxy):
    """BaseProxy: refers to a shared object in a manager; methods run there.

    ``str()`` shows the referent, ``repr()`` the proxy (``<Proxy[list] object at 0x...>``);
    it compares by value with its referent, is unhashable, and pickles (to another process: a
    proxy; to its manager: the referent).
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # A Python 2 proxy class iterates through ``next``; Python 3 looks for ``__next__``.
        if "next" in cls.__dict__ and "__next__" not in cls.__dict__:
            cls.__next__ = cls.__dict__["next"]

    def _callmethod(
        self,
        methodname: str,
        args: tuple[Any, ...] = (),
        kwds: dict[str, Any] = {},  # noqa: B006  (never mutated; multiprocessing's signature)
    ) -> Any:
        """Call the referent's method ``methodname`` in the manager; a copy of the result.

        multiprocessing's own, but an exception from the referent leaves no cycle behind: its
        version keeps the error in a local of the raising frame, so each error keeps the proxy
        (and the referent) alive until the garbage collector runs. And a method returning a
        proxy works in a child too (there the proxy has no manager to ask for the type).
        """
        try:
            conn = self._tls.connection
        except AttributeError:
            self._connect()
            conn = self._tls.connection
        conn.send((self._id, methodname, args, kwds))
        kind, result = conn.recv()
        if kind == "#RETURN":
            return result
        if kind == "#PROXY":
            return self._proxy_for_result(*result)
        error = _mpm.convert_to_error(kind, result)
        try:
            raise error
        finally:
            del error, result

    def _proxy_for_result(self, exposed: tuple[str, ...], token: Any) -> Any:
        manager = self._manager
        registry = SyncManager._registry if manager is None else manager._registry
        proxytype = registry[token.typeid][-1] if token.typeid in registry else _auto_proxy
        token.address = self._token.address
        proxy = proxytype(
            token, self._serializer, manager=manager, authkey=self._authkey, exposed=exposed
        )
        conn = self._Client(token.address, authkey=self._authkey)
        _mpm.dispatch(conn, None, "decref", (token.id,))
        return proxy

    def _callMethod(
        self, methodname: str, args: Iterable[Any] = (), kwds: dict[str, Any] | None = None
    ) -> Any:
        """Call the referent's method ``methodname`` in the manager; a copy of the result."""
        translate = _OLD_CALLS.get(methodname)
        if translate is not None:
            methodname, args = translate(tuple(args))
        return self._callmethod(methodname, tuple(args), kwds or {})

    def _getValue(self) -> Any:
        """A copy of the referent."""
        return self._getvalue()

    def __repr__(self) -> str:
        # processing's documented form (multiprocessing's is "<ListProxy object, typeid
        # 'list' at 0x...>"): programs and doctests written for processing print it.
        return f"<Proxy[{self._token.typeid}] object at {id(self):#x}>"

    def __reduce__(self) -> tuple[Any, ...]:
        _, (func, token, serializer, kwds) = super().__reduce__()
        if getattr(self, "_isauto", False):
            func = _auto_proxy
        return _rebuild, (func, token, serializer, kwds)

    def __eq__(self, other: object) -> Any:
        return self._callmethod("__eq__", (other,))

    def __ne__(self, other: object) -> Any:
        return self._callmethod("__ne__", (other,))

    def __lt__(self, other: object) -> Any:
        return self._callmethod("__lt__", (other,))

    def __le__(self, other: object) -> Any:
        return self._callmethod("__le__", (other,))

    def __gt__(self, other: object) -> Any:
        return self._callmethod("__gt__", (other,))

    def __ge__(self, other: object) -> Any:
        return self._callmethod("__ge__", (other,))

    __hash__ = None  # type: ignore[assignment]  # equal by value, so unhashable (as in 0.52)


def _forwarder(name: str) -> Callable[..., Any]:
    def method(self: BaseProxy, /, *args: Any, **kwds: Any) -> Any:
        return self._callmethod(name, args, kwds)

    method.__name__ = method.__qualname__ = name
    return method


def _return_self(self: Any) -> Any:
    return self


_proxy_types: dict[tuple[str, tuple[str, ...]], type[BaseProxy]] = {}


def _proxy_type(name: str, exposed: Iterable[str]) -> type[BaseProxy]:
    """A BaseProxy subclass forwarding each of ``exposed`` (one class per name and list)."""
    exposed = tuple(exposed)
    try:
        return _proxy_types[name, exposed]
    except KeyError:
        pass
    namespace: dict[str, Any] = {name: _forwarder(name) for name in exposed}
    if "__next__" in exposed:
        namespace["__iter__"] = _return_self
    proxytype = type(name, (BaseProxy,), namespace)
    proxytype._exposed_ = exposed  # type: ignore[attr-defined]
    _proxy_types[name, exposed] = proxytype
    return proxytype


def _auto_proxy(
    token: Any,
    serializer: str,
    manager: Any = None,
    authkey: bytes | None = None,
    exposed: Iterable[str] | None = None,
    incref: bool = True,
    manager_owned: bool = False,
) -> BaseProxy:
    """A proxy whose methods are those the manager exposes for the referent."""
    if exposed is None:
        conn = _mpm.listener_client[serializer][1](token.address, authkey=authkey)
        try:
            exposed = _mpm.dispatch(conn, None, "get_methods", (token,))
        finally:
            conn.close()
    if authkey is None and manager is not None:
        authkey = manager._authkey
    if authkey is None:
        authkey = _mp_process.current_process().authkey
    proxytype = _proxy_type(f"AutoProxy[{token.typeid}]", exposed)
    proxy = proxytype(
        token,
        serializer,
        manager=manager,
        authkey=authkey,
        incref=incref,
        manager_owned=manager_owned,
    )
    proxy._isauto = True
    return proxy


class IteratorProxy(BaseProxy, _mpm.IteratorProxy):
    """A proxy for an iterator held by the manager (``next`` as well as ``__next__``)."""

    def next(self) -> Any:
        """The next item (Python 2's name)."""
        return self._callmethod("__next__")


class AcquirerProxy(BaseProxy, _mpm.AcquirerProxy):
    """A proxy for a lock or semaphore held by the manager."""


class ConditionProxy(BaseProxy, _mpm.ConditionProxy):
    """A proxy for a condition held by the manager (``notifyAll`` too)."""

    def notifyAll(self) -> None:
        """Wake every waiter (``notify_all``)."""
        return self._callmethod("notify_all")


class EventProxy(BaseProxy, _mpm.EventProxy):
    """A proxy for an event held by the manager (``isSet`` too)."""

    def isSet(self) -> bool:
        """Whether the event is set (``is_set``)."""
        return self._callmethod("is_set")


class NamespaceProxy(BaseProxy, _mpm.NamespaceProxy):
    """A proxy for a Namespace: attributes not starting with '_' live in the manager."""


class ValueProxy(BaseProxy, _mpm.ValueProxy):
    """A proxy for a Value held by the manager: ``get()``, ``set()``, ``.value``."""


class ListProxy(BaseProxy, _mpm.ListProxy):
    """A proxy for a list held by the manager (multiprocessing's methods, unchanged)."""

    _exposed_ = (*_mpm.ListProxy._exposed_, "__iter__")
    _method_to_typeid_ = {"__iter__": "Iterator"}


class DictProxy(BaseProxy, _mpm.DictProxy):
    """A proxy for a dict held by the manager (``has_key``, ``iter*`` too)."""

    def has_key(self, key: Any) -> bool:
        """Whether ``key`` is in the dict (Python 2's name)."""
        return self._callmethod("__contains__", (key,))

    def iteritems(self) -> Any:
        """An iterator over a copy of the items (Python 2's name)."""
        return iter(self._callmethod("items"))

    def iterkeys(self) -> Any:
        """An iterator over a copy of the keys (Python 2's name)."""
        return iter(self._callmethod("keys"))

    def itervalues(self) -> Any:
        """An iterator over a copy of the values (Python 2's name)."""
        return iter(self._callmethod("values"))


class ArrayProxy(BaseProxy, _mpm.ArrayProxy):
    """A proxy for an ``array.array`` held by the manager."""


# -- managers ------------------------------------------------------------------------------


def _authkey_bytes(authkey: object) -> bytes | None:
    if authkey is None or isinstance(authkey, bytes):
        return authkey
    if isinstance(authkey, str):  # Python 2's str: the old docs' ``authkey='none'``
        return authkey.encode()
    raise TypeError(f"authkey must be bytes or a str, not {_short(authkey)}")


def _check_address(address: object) -> None:
    if address is None or isinstance(address, str):
        return
    if isinstance(address, tuple) and len(address) == 2 and isinstance(address[1], int):
        return
    raise TypeError(
        f"address must be None, a (host, port) tuple or a socket path, not {_short(address)}"
    )


class BaseManager(_mpm.BaseManager):
    """BaseManager: a server process holding shared objects; define creators in the class body
    with ``CreatorMethod`` (or call ``register()``), then ``start()`` or ``serveForever()``."""

    _Server = _Server

    def __init__(
        self,
        address: Any = None,
        authkey: bytes | str | None = None,
        serializer: str = "pickle",
        ctx: BaseContext | None = None,
        *,
        shutdown_timeout: float = 1.0,
    ) -> None:
        _check_address(address)
        super().__init__(
            address, _authkey_bytes(authkey), serializer, ctx, shutdown_timeout=shutdown_timeout
        )

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for creator in list(vars(cls).values()):
            info = getattr(creator, "_creator_info", None)
            if info is not None:
                typeid, callable, proxytype, exposed = info
                cls.register(typeid, callable, proxytype, exposed, create_method=False)

    @classmethod
    def register(
        cls,
        typeid: str,
        callable: Callable[..., object] | None = None,
        proxytype: Any = None,
        exposed: Sequence[str] | None = None,
        method_to_typeid: dict[str, str] | None = None,
        create_method: bool = True,
    ) -> None:
        """Register ``typeid`` (multiprocessing's signature); proxies default to this module's."""
        super().register(
            typeid,
            callable,
            _auto_proxy if proxytype is None else proxytype,
            exposed,
            method_to_typeid,
            create_method,
        )

    def get_server(self) -> Any:
        """The server (with ``serve_forever()`` and ``address``) to run in this process."""
        if self._state.value != _mpm.State.INITIAL:
            return super().get_server()  # raises the error saying why not
        # multiprocessing's get_server() builds its own Server class, not self._Server
        return self._Server(self._registry, self._address, self._authkey, self._serializer)

    def serveForever(self, verbose: bool = True) -> None:
        """Run the manager's server in this process until a client shuts it down (or Ctrl-C)."""
        server = self.get_server()
        self._address = server.address
        if verbose:
            print(f"{type(self).__name__} serving at address {server.address}", file=sys.stderr)
        try:
            server.serve_forever()
        except SystemExit:  # multiprocessing's server exits the process; the old one returned
            pass
        finally:
            server.listener.close()

    serve_forever = serveForever

    @classmethod
    def fromAddress(cls, address: Any, authkey: bytes | str | None = None) -> Any:
        """A manager for the server already running at ``address`` (checked by connecting)."""
        manager = cls(address, authkey)
        manager.connect()
        return manager

    from_address = fromAddress

    def _debug_info(self) -> str | None:
        """The server's shared objects and their reference counts; None when there are none.

        multiprocessing says '' then. None is what 0.3x said, and what its programs test
        (``is not None``); 0.52's tests only ask for something false, which both are.
        """
        info: str = super()._debug_info()
        return info or None

    _debugInfo = _debug_info


def CreatorMethod(
    callable: Callable[..., object] | None = None,
    proxytype: Any = None,
    exposed: Sequence[str] | None = None,
    typeid: str | None = None,
) -> Callable[..., Any]:
    """CreatorMethod: in a manager's class body, a method making a shared object with
    ``callable(*args, **kwds)`` in the manager and returning a proxy for it."""
    if callable is not None and not builtins.callable(callable):
        raise TypeError(f"CreatorMethod: callable must be callable, not {_short(callable)}")
    if typeid is None:
        if callable is None:
            raise TypeError("CreatorMethod needs a callable, or the typeid of a remote one")
        typeid = _unique_typeid(getattr(callable, "__name__", type(callable).__name__))
    elif not isinstance(typeid, str):
        raise TypeError(f"CreatorMethod: typeid must be a str, not {_short(typeid)}")
    if exposed is None:
        exposed = getattr(callable, "__exposed__", None)
    if exposed is not None:
        if isinstance(exposed, str) or not all(isinstance(name, str) for name in exposed):
            raise TypeError(
                f"CreatorMethod: exposed must be a list of method names, not {_short(exposed)}"
            )
        exposed = tuple(exposed)
    make_proxy = _auto_proxy if proxytype is None else proxytype
    if not builtins.callable(make_proxy):
        raise TypeError(
            f"CreatorMethod: proxytype must be a BaseProxy subclass, not {_short(proxytype)}"
        )
    name = typeid

    def create(self: BaseManager, /, *args: Any, **kwds: Any) -> Any:
        token, exposed_ = self._create(name, *args, **kwds)
        proxy = make_proxy(
            token, self._serializer, manager=self, authkey=self._authkey, exposed=exposed_
        )
        # The server counted one reference for the creation; the proxy now holds its own.
        conn = self._Client(token.address, authkey=self._authkey)
        _mpm.dispatch(conn, None, "decref", (token.id,))
        return proxy

    create.__name__ = create.__qualname__ = typeid
    create._creator_info = (typeid, callable, proxytype, exposed)  # type: ignore[attr-defined]
    return create


_typeid_counts: dict[str, int] = {}


def _unique_typeid(prefix: str) -> str:
    """``prefix``, or ``prefix-N`` when a creator already uses it (one callable, two creators)."""
    count = _typeid_counts.get(prefix)
    _typeid_counts[prefix] = 0 if count is None else count + 1
    return prefix if count is None else f"{prefix}-{count + 1}"


# -- 0.3x struct-formatted shared data held by a manager ------------------------------------


class _HeldValue:
    """The referent of ``Manager().SharedValue``: one item of a struct format."""

    _owner = "SharedValue"

    def __init__(self, format: str, value: Any) -> None:
        self._struct = _compile(format, self._owner)
        self._check_format()
        self.set(value)

    def _check_format(self) -> None:
        _require_one_item(self._struct, self._owner, "use SharedStruct for a tuple of values")

    def get(self) -> Any:
        return self._value

    def set(self, value: Any) -> None:
        self._value = self._struct.unpack(_pack(self._struct, self._owner, value))[0]

    def __repr__(self) -> str:
        return f"{self._owner}({self._struct.format!r}, {self._value!r})"


class _HeldStruct(_HeldValue):
    """The referent of ``Manager().SharedStruct``: a tuple laid out by a struct format."""

    _owner = "SharedStruct"

    def _check_format(self) -> None:
        pass

    def set(self, value: Any) -> None:
        self._value = self._struct.unpack(pack_tuple(self._struct, value))


class _HeldArray:
    """The referent of ``Manager().SharedArray``: items of a one-item struct format."""

    def __init__(self, format: str, sequence: Iterable[Any] | int) -> None:
        self._struct = _compile(format, "SharedArray")
        _require_one_item(self._struct, "SharedArray", "give one item's format, such as 'i'")
        if isinstance(sequence, int):
            sequence = [self._struct.unpack(bytes(self._struct.size))[0]] * sequence
        self._items = [self._item(value, index) for index, value in enumerate(sequence)]

    def _item(self, value: Any, index: int) -> Any:
        try:
            return self._struct.unpack(self._struct.pack(value))[0]
        except Exception as error:
            raise _cannot_hold(
                "SharedArray", self._struct.format, value, error, f" at index {index}"
            ) from None

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index: Any) -> Any:
        return self._items[index]

    def __setitem__(self, index: Any, value: Any) -> None:
        if isinstance(index, slice):
            values = list(value)
            positions = range(*index.indices(len(self._items)))
            if len(values) != len(positions):
                raise ValueError(
                    f"SharedArray: a slice of {len(positions)} items cannot take "
                    f"{len(values)} values (a SharedArray's length is fixed)"
                )
            checked = [self._item(v, i) for v, i in zip(values, positions, strict=True)]
            for position, item in zip(positions, checked, strict=True):
                self._items[position] = item
        else:
            self._items[index] = self._item(value, index)

    def get(self) -> list[Any]:
        return list(self._items)

    tolist = get

    def set(self, sequence: Iterable[Any]) -> None:
        self[:] = sequence

    def tobytes(self) -> bytes:
        return b"".join(self._struct.pack(item) for item in self._items)

    tostring = tobytes

    def __repr__(self) -> str:
        return f"SharedArray({self._struct.format!r}, {self._items!r})"


class SharedValueProxy(BaseProxy):
    """A proxy for a manager's SharedValue or SharedStruct: ``get()``, ``set()``, ``.value``."""

    _exposed_ = ("get", "set")

    def get(self) -> Any:
        """The value."""
        return self._callmethod("get")

    def set(self, value: Any) -> None:
        """Store ``value``; one the format cannot hold raises ValueError."""
        self._callmethod("set", (value,))

    value = property(get, set)


SharedArrayProxy = _proxy_type(
    "SharedArrayProxy",
    ("__len__", "__getitem__", "__setitem__", "get", "set", "tolist", "tobytes", "tostring"),
)


# -- SyncManager ---------------------------------------------------------------------------


class SyncManager(BaseManager, _mpm.SyncManager):
    """SyncManager: a manager of locks, conditions, events, queues, lists, dicts, namespaces,
    values and arrays, and (0.3x) SharedValue, SharedStruct and SharedArray."""

    _registry = {**_mpm.SyncManager._registry}

    def SharedValue(self, format: str, value: Any) -> SharedValueProxy:
        """SharedValue (0.3x): one value of a one-item struct format, held by the manager."""
        _HeldValue(format, value)  # a bad format or value fails here, not in the server
        return self._SharedValue(format, value)

    def SharedStruct(self, format: str, value: Sequence[Any]) -> SharedValueProxy:
        """SharedStruct (0.3x): a tuple of values laid out by a struct format."""
        _HeldStruct(format, value)
        return self._SharedStruct(format, value)

    def SharedArray(self, format: str, sequence: Iterable[Any] | int) -> Any:
        """SharedArray (0.3x): items of a one-item struct format, held by the manager."""
        if not isinstance(sequence, int):
            sequence = list(sequence)
        _HeldArray(format, sequence)
        return self._SharedArray(format, sequence)

    _SharedValue = CreatorMethod(_HeldValue, SharedValueProxy, typeid="SharedValue")
    _SharedStruct = CreatorMethod(_HeldStruct, SharedValueProxy, typeid="SharedStruct")
    _SharedArray = CreatorMethod(_HeldArray, SharedArrayProxy, typeid="SharedArray")


def _register_sync_types() -> None:
    import queue
    import threading

    register = SyncManager.register
    register("Queue", queue.Queue)
    register("JoinableQueue", queue.Queue)
    register("Event", threading.Event, EventProxy)
    register("Lock", threading.Lock, AcquirerProxy)
    register("RLock", threading.RLock, AcquirerProxy)
    register("Semaphore", threading.Semaphore, AcquirerProxy)
    register("BoundedSemaphore", threading.BoundedSemaphore, AcquirerProxy)
    register("Condition", threading.Condition, ConditionProxy)
    register("list", list, ListProxy)
    register("dict", dict, DictProxy)
    register("Value", _mpm.Value, ValueProxy)
    register("Array", _mpm.Array, ArrayProxy)
    register("Namespace", _mpm.Namespace, NamespaceProxy)
    register("Iterator", proxytype=IteratorProxy, create_method=False)


_register_sync_types()
BaseManager.register("Iterator", proxytype=IteratorProxy, create_method=False)


def Manager(ctx: BaseContext | None = None) -> SyncManager:
    """Manager: a started SyncManager; its proxies may be ``copy.copy()``-ed to give each
    thread its own (a proxy is not for several threads without a lock)."""
    manager = SyncManager(ctx=ctx or get_context())
    manager.start()
    return manager
