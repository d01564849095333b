"""Shared memory described by struct formats: SharedValue, SharedStruct, SharedArray.

The ``processing`` package's shared objects on top of ``multiprocessing``'s shared heap
(``RawArray``): the bytes live in shared memory, a ``struct`` format says what they mean::

    counter = SharedValue("i", 0)              # one int
    point = SharedStruct("id10s", (1, 2.5, b"name"))
    samples = SharedArray("d", [0.0] * 1000)   # 1000 doubles

Each comes with a multiprocessing ``RLock`` (``lock=True``, the default) that guards every
read and write; hold ``get_lock()`` to make a read-modify-write atomic
(``with counter.get_lock(): counter.value += 1``).

The guideline "Lock, RLock, ..., SharedValue, SharedStruct, SharedArray are not picklable;
only inheritance works" is behaviour here: pass these objects to a child as ``Process``
arguments (or ``Pool`` initargs), or let ``fork`` inherit them. Sending one through a ``Pipe``
raises an error that says so; a ``Queue`` reports the same error from its feeder thread.

Bad values never reach shared memory: every value is checked (packed into a temporary
buffer, or range-checked by a typed memoryview) before it is written, so a value the format
cannot hold raises ``ValueError`` (naming the format and the value) and the shared data stays
as it was.

As in processing 0.3x, ``repr(shared_array)`` shows the whole array and a slice of an array
whose format is an ``array`` typecode is an ``array.array`` (``samples[:].tobytes()``).
"""

from __future__ import annotations

import struct
from array import array as _array

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import, and children import this module
    from collections.abc import Iterable, Iterator, Sequence
    from multiprocessing.context import BaseContext
    from multiprocessing.queues import Queue as _Queue
    from multiprocessing.synchronize import BoundedSemaphore as _BoundedSemaphore
    from multiprocessing.synchronize import Condition as _Condition
    from multiprocessing.synchronize import Event as _Event
    from multiprocessing.synchronize import Lock as _Lock
    from multiprocessing.synchronize import RLock as _RLock
    from multiprocessing.synchronize import Semaphore as _Semaphore
    from typing import Any, Protocol, SupportsIndex, overload

    class _LockLike(Protocol):
        """A multiprocessing Lock or RLock, or anything that acquires and releases like one."""

        def acquire(self, *args: Any, **kwargs: Any) -> Any: ...
        def release(self) -> None: ...
        def __enter__(self) -> Any: ...
        def __exit__(self, *args: Any, **kwargs: Any) -> Any: ...


__all__ = ["LocalManager", "SharedArray", "SharedStruct", "SharedValue"]

#: What ``struct`` raises for a value its format cannot hold.
_PACK_ERRORS = (struct.error, OverflowError, TypeError, ValueError)

#: Native one-character formats that ctypes stores natively; SharedArrays of these formats
#: are ctypes arrays, so that item access runs at ``multiprocessing.Array``'s speed.
_CTYPES_NAMES = {
    "b": "c_byte",
    "B": "c_ubyte",
    "h": "c_short",
    "H": "c_ushort",
    "i": "c_int",
    "I": "c_uint",
    "l": "c_long",
    "L": "c_ulong",
    "q": "c_longlong",
    "Q": "c_ulonglong",
    "n": "c_ssize_t",
    "N": "c_size_t",
    "f": "c_float",
    "d": "c_double",
    "?": "c_bool",
}
#: Formats whose ctypes setter accepts exactly what ``struct`` accepts (integers are not among
#: them: ctypes silently wraps 300 into a 'B' item as 44), so unlocked item writes need no check.
_UNCHECKED_CODES = frozenset("fd?")


# -- formats and values --------------------------------------------------------------------


def _compile(format: str, owner: str) -> struct.Struct:
    """The ``struct.Struct`` of ``format``, or an error saying what a format looks like."""
    if not isinstance(format, str):
        raise TypeError(
            f"{owner}: the format must be a struct format string such as 'i', 'd' or '10s', "
            f"not {_short(format)}"
        )
    try:
        compiled = struct.Struct(format)
    except struct.error as error:
        raise ValueError(
            f"{owner}: {format!r} is not a struct format ({error}); use the struct module's "
            "format characters, such as 'i', 'd', '10s' or 'id10s'"
        ) from None
    if compiled.size == 0:
        raise ValueError(f"{owner}: the format {format!r} describes no bytes; give it an item")
    return compiled


def _item_count(compiled: struct.Struct) -> int:
    return len(compiled.unpack(bytes(compiled.size)))


def _require_one_item(compiled: struct.Struct, owner: str, instead: str) -> None:
    count = _item_count(compiled)
    if count != 1:
        raise ValueError(
            f"{owner} holds one item per format, but {compiled.format!r} describes {count}; "
            f"{instead}"
        )


def _short(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


#: Formats that are also ``array`` typecodes: their slices are ``array.array`` (processing 0.3x).
_ARRAY_CODES = frozenset("bBhHiIlLqQfd")


class _SliceArray(_array):  # type: ignore[type-arg, unused-ignore]
    """An ``array.array`` of a SharedArray slice, that also equals a list of the same items.

    processing 0.3x returned ``array.array`` slices; ``multiprocessing.Array`` and earlier
    releases of this library return lists. Being both an array and equal to the list lets code
    written against either keep working (``arr[:] == [1, 2]``, ``arr[:].tobytes()``).
    """

    __slots__ = ()

    def __eq__(self, other: object) -> Any:
        if isinstance(other, (list, tuple)):
            return self.tolist() == list(other)
        return super().__eq__(other)  # NotImplemented for other types: Python decides

    def __ne__(self, other: object) -> Any:
        if isinstance(other, (list, tuple)):
            return self.tolist() != list(other)
        return super().__ne__(other)

    def __repr__(self) -> str:
        return f"array({self.typecode!r}, {self.tolist()!r})"


def _slice_of(code: str | None, items: list[Any]) -> Any:
    """A slice's items: an ``array.array`` for an array typecode, else the list itself."""
    return _SliceArray(code, items) if code in _ARRAY_CODES else items


def _cannot_hold(
    owner: str, format: str, value: object, error: BaseException, where: str = ""
) -> ValueError:
    return ValueError(f"{owner} format {format!r} cannot hold {_short(value)}{where}: {error}")


def _latin1(value: Any) -> Any:
    """A Python 2 program's ``str`` for a ``c``/``s``/``p`` field, as the bytes it meant
    (Latin-1: one byte per character); anything else as it is. Tried only after struct
    refused the value, so that no write of bytes or numbers pays for it."""
    if isinstance(value, str):
        try:
            return value.encode("latin-1")
        except UnicodeEncodeError:
            return value
    return value


def _pack(compiled: struct.Struct, owner: str, value: object) -> bytes:
    """``value`` packed as one item of ``compiled``, or a ValueError naming both."""
    try:
        return compiled.pack(value)
    except _PACK_ERRORS as error:
        if isinstance(value, str):
            try:
                return compiled.pack(_latin1(value))
            except _PACK_ERRORS:
                pass
        raise _cannot_hold(owner, compiled.format, value, error) from None


def pack_tuple(compiled: struct.Struct, value: Any) -> bytes:
    """``value``, a tuple of as many values as ``compiled`` holds, packed; else ValueError
    saying what the format needs (a SharedStruct's, here or in a manager)."""
    count = _item_count(compiled)
    try:
        items = tuple(value)
    except TypeError:
        items = None
    if items is None or len(items) != count:
        raise ValueError(
            f"SharedStruct format {compiled.format!r} holds {count} values, so it needs "
            f"a tuple of {count} values, not {_short(value)}"
        )
    try:
        return compiled.pack(*items)
    except _PACK_ERRORS as error:
        if any(isinstance(item, str) for item in items):
            try:
                return compiled.pack(*map(_latin1, items))
            except _PACK_ERRORS:
                pass
        raise _cannot_hold("SharedStruct", compiled.format, items, error) from None


def _pack_items(compiled: struct.Struct, items: list[Any], positions: Sequence[int]) -> bytes:
    """Every item packed, back to back; a bad item raises a ValueError naming its index."""
    try:
        return b"".join(map(compiled.pack, items))
    except _PACK_ERRORS:
        for position, item in zip(positions, items, strict=True):
            try:
                compiled.pack(item)
            except _PACK_ERRORS as error:
                where = f" (index {position})"
                raise _cannot_hold("SharedArray", compiled.format, item, error, where) from None
        raise


# -- locks, contexts, inheritance ----------------------------------------------------------


def _context(ctx: BaseContext | None) -> BaseContext:
    if ctx is not None:
        return ctx
    import multiprocessing

    return multiprocessing.get_context()


def _make_lock(lock: bool | _LockLike, context: BaseContext, owner: str) -> _LockLike | None:
    if lock is True:
        return context.RLock()
    if lock is False:
        return None
    if not (hasattr(lock, "acquire") and hasattr(lock, "release")):
        raise TypeError(
            f"{owner}: lock must be True (a new RLock), False (no lock) or a multiprocessing "
            f"Lock or RLock, not {_short(lock)}"
        )
    return lock


def _require_spawning(obj: object) -> None:
    """Allow pickling only while a child is being started (what ``assert_spawning`` checks)."""
    from multiprocessing.context import get_spawning_popen

    if get_spawning_popen() is None:
        name = type(obj).__name__
        raise RuntimeError(
            f"{name} objects live in shared memory and are shared only by inheritance: pass "
            f"the {name} to the child as a Process argument (Process(target=f, args=(shared,)) "
            "or Pool(initializer=f, initargs=(shared,))) instead of putting it on a Queue, "
            "sending it through a Pipe or pickling it"
        )


class _Guarded:
    """The lock methods SharedValue, SharedStruct and SharedArray have in common."""

    __slots__ = ()
    #: processing's queues and pipes refuse these objects before pickling (processing.connection).
    _processing_inherit_only = True
    _lock: _LockLike | None

    def get_lock(self) -> _LockLike:
        """The lock that guards this object; hold it to make a read-modify-write atomic."""
        if self._lock is None:
            raise RuntimeError(
                f"this {type(self).__name__} was made with lock=False and has no lock; make it "
                "with lock=True (the default) or pass lock=a multiprocessing Lock"
            )
        return self._lock

    def getLock(self) -> _LockLike:
        """The lock that guards this object (processing's name for get_lock)."""
        return self.get_lock()

    def __enter__(self) -> bool:
        return self.get_lock().__enter__()

    def __exit__(self, *args: object) -> None:
        self.get_lock().__exit__(*args)


# -- SharedValue and SharedStruct ----------------------------------------------------------


class _SharedBytes(_Guarded):
    """Bytes in shared memory that one struct format reads and writes as a whole."""

    __slots__ = ("_format", "_lock", "_raw", "_struct", "_view")

    def __init__(
        self,
        format: str,
        value: Any,
        lock: bool | _LockLike = True,
        ctx: BaseContext | None = None,
    ) -> None:
        owner = type(self).__name__
        compiled = _compile(format, owner)
        self._check_format(compiled)
        packed = self._pack(compiled, value)
        context = _context(ctx)
        raw = context.RawArray("c", compiled.size)
        self._attach(format, compiled, raw, _make_lock(lock, context, owner))
        self._view[:] = packed

    def _attach(self, format: str, compiled: struct.Struct, raw: Any, lock: Any) -> None:
        self._format = format
        self._struct = compiled
        self._raw = raw
        self._view = memoryview(raw).cast("B")
        self._lock = lock

    def _check_format(self, compiled: struct.Struct) -> None:
        raise NotImplementedError

    def _pack(self, compiled: struct.Struct, value: Any) -> bytes:
        raise NotImplementedError

    @property
    def format(self) -> str:
        """The struct format that describes the shared bytes."""
        return self._format

    def _read(self) -> tuple[Any, ...]:
        lock = self._lock
        if lock is None:
            return self._struct.unpack_from(self._view)
        lock.acquire()
        try:
            return self._struct.unpack_from(self._view)
        finally:
            lock.release()

    def _write(self, packed: bytes) -> None:
        lock = self._lock
        if lock is None:
            self._view[:] = packed
            return
        lock.acquire()
        try:
            self._view[:] = packed
        finally:
            lock.release()

    def __reduce__(self) -> tuple[Any, ...]:
        _require_spawning(self)
        return (_rebuild_bytes, (type(self), self._format, self._raw, self._lock))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._format!r}, {self.get()!r})"

    def get(self) -> Any:
        raise NotImplementedError


def _rebuild_bytes(cls: type[_SharedBytes], format: str, raw: Any, lock: Any) -> _SharedBytes:
    obj = cls.__new__(cls)
    obj._attach(format, struct.Struct(format), raw, lock)
    return obj


class SharedValue(_SharedBytes):
    """SharedValue: one value in shared memory, of a one-item struct format ('i', 'd', '10s').

    Not picklable: only inheritance shares it (pass it to Process as an argument).
    """

    __slots__ = ()

    def _check_format(self, compiled: struct.Struct) -> None:
        _require_one_item(compiled, "SharedValue", "use SharedStruct for a tuple of values")

    def _pack(self, compiled: struct.Struct, value: Any) -> bytes:
        return _pack(compiled, "SharedValue", value)

    def get(self) -> Any:
        """The value, read under the lock."""
        return self._read()[0]

    def set(self, value: Any) -> None:
        """Store ``value`` under the lock; a value the format cannot hold raises ValueError."""
        self._write(_pack(self._struct, "SharedValue", value))

    @property
    def value(self) -> Any:
        """The value (get and set each take the lock)."""
        return self.get()

    @value.setter
    def value(self, value: Any) -> None:
        self.set(value)


class SharedStruct(_SharedBytes):
    """SharedStruct: a tuple of values in shared memory, laid out by a struct format ('id10s').

    Not picklable: only inheritance shares it (pass it to Process as an argument).
    """

    __slots__ = ()

    def _check_format(self, compiled: struct.Struct) -> None:
        pass

    def _pack(self, compiled: struct.Struct, value: Any) -> bytes:
        return pack_tuple(compiled, value)

    def get(self) -> tuple[Any, ...]:
        """The tuple of values, read under the lock."""
        return self._read()

    def set(self, value: Sequence[Any]) -> None:
        """Store a tuple of values under the lock; a value the format cannot hold: ValueError."""
        self._write(self._pack(self._struct, value))

    @property
    def value(self) -> tuple[Any, ...]:
        """The tuple of values (get and set each take the lock)."""
        return self.get()

    @value.setter
    def value(self, value: Sequence[Any]) -> None:
        self.set(value)


# -- SharedArray ---------------------------------------------------------------------------


class SharedArray(_Guarded):
    """SharedArray: an array in shared memory whose items share one struct format ('d').

    Not picklable: only inheritance shares it (pass it to Process as an argument).
    ``sequence`` gives the items (or, as an int, a number of zero items). Items are read and
    written by index or slice; a slice assignment must keep the length. With ``lock=True``
    (the default) every access takes the lock, as ``multiprocessing.Array`` does; with
    ``lock=False``, items of a native numeric format are read and written at ctypes speed, as
    in a raw ``multiprocessing.Array`` (for 'd', 'f' and '?', a slice assignment is then
    checked item by item as it is written: use ``set()`` to check all items before writing).

    As in processing 0.3x, ``repr()`` shows every item, and a slice of a locked array whose
    format is an ``array`` typecode ('bBhHiIlLqQfd') is an ``array.array`` that also equals
    the list of its items; other slices are lists (with ``lock=False``, ctypes' own).
    """

    __slots__ = ()
    _format: str
    _struct: struct.Struct
    _length: int
    _raw: Any
    _bytes: memoryview

    def __new__(
        cls,
        format: str,
        sequence: Iterable[Any] | int,
        lock: bool | _LockLike = True,
        ctx: BaseContext | None = None,
    ) -> SharedArray:
        compiled = _compile(format, "SharedArray")
        _require_one_item(
            compiled,
            "SharedArray",
            "give the format of one item (SharedArray('d', ...)), or use SharedStruct",
        )
        if isinstance(sequence, int):
            if sequence < 0:
                raise ValueError(f"SharedArray: a length cannot be negative, got {sequence}")
            length, packed = sequence, b""
        else:
            try:
                items = list(sequence)
            except TypeError:
                raise TypeError(
                    "SharedArray: the items must be a sequence (or an int: that many zero "
                    f"items), not {_short(sequence)}"
                ) from None
            length = len(items)
            packed = _pack_items(compiled, items, range(length))
        context = _context(ctx)
        raw = context.RawArray("c", compiled.size * length)
        array = _attach_array(
            format, compiled, length, raw, _make_lock(lock, context, "SharedArray")
        )
        array._bytes[: len(packed)] = packed
        return array

    def __init__(
        self,
        format: str,
        sequence: Iterable[Any] | int,
        lock: bool | _LockLike = True,
        ctx: BaseContext | None = None,
    ) -> None:
        """Everything is done by __new__ (which also keeps ctypes' __init__ from running)."""

    if TYPE_CHECKING:  # implemented by ctypes or by _StructArray, never here (see _array_class)

        def __len__(self) -> int: ...
        @overload
        def __getitem__(self, index: SupportsIndex) -> Any: ...
        @overload
        def __getitem__(self, index: slice) -> list[Any]: ...
        def __getitem__(self, index: SupportsIndex | slice) -> Any: ...
        @overload
        def __setitem__(self, index: SupportsIndex, value: Any) -> None: ...
        @overload
        def __setitem__(self, index: slice, value: Iterable[Any]) -> None: ...
        def __setitem__(self, index: SupportsIndex | slice, value: Any) -> None: ...

    def _read_all(self) -> list[Any]:
        raise NotImplementedError

    @property
    def format(self) -> str:
        """The struct format of one item."""
        return self._format

    def get(self) -> list[Any]:
        """All items as a list, read under the lock."""
        lock = self._lock
        if lock is None:
            return self._read_all()
        lock.acquire()
        try:
            return self._read_all()
        finally:
            lock.release()

    def tolist(self) -> list[Any]:
        """All items as a list, read under the lock (the same as get())."""
        return self.get()

    def set(self, sequence: Iterable[Any]) -> None:
        """Replace all items: checked first, then written under the lock; the length stays."""
        self._assign_slice(slice(None), sequence)

    def tobytes(self) -> bytes:
        """The items' bytes, read under the lock."""
        lock = self._lock
        if lock is None:
            return bytes(self._bytes)
        lock.acquire()
        try:
            return bytes(self._bytes)
        finally:
            lock.release()

    def tostring(self) -> bytes:
        """The items' bytes (processing's name for tobytes)."""
        return self.tobytes()

    def __iter__(self) -> Iterator[Any]:
        return iter(self.get())

    def _assign_slice(self, index: slice, values: Iterable[Any]) -> None:
        positions = range(*index.indices(self._length))
        try:
            items = list(values)
        except TypeError:
            raise TypeError(
                f"SharedArray: a slice takes a sequence of items, not {_short(values)}"
            ) from None
        if len(items) != len(positions):
            raise ValueError(
                f"SharedArray: the slice [{_slice_text(index)}] has {len(positions)} items, "
                f"so it takes {len(positions)} values, not {len(items)}: a SharedArray keeps "
                f"its length ({self._length})"
            )
        packed = _pack_items(self._struct, items, positions)
        lock = self._lock
        if lock is None:
            self._copy_in(positions, packed)
            return
        lock.acquire()
        try:
            self._copy_in(positions, packed)
        finally:
            lock.release()

    def _copy_in(self, positions: range, packed: bytes) -> None:
        size = self._struct.size
        if positions.step == 1:
            start = positions.start * size
            self._bytes[start : start + len(packed)] = packed
            return
        source = memoryview(packed)
        for count, position in enumerate(positions):
            offset = position * size
            self._bytes[offset : offset + size] = source[count * size : (count + 1) * size]

    def __reduce__(self) -> tuple[Any, ...]:
        _require_spawning(self)
        return (_rebuild_array, (self._format, self._length, self._raw, self._lock))

    def __repr__(self) -> str:
        """The whole array, as processing shows it: ``SharedArray('d', [0.0, 1.5])``.

        Format 'c' (one byte per item) shows the bytes: ``SharedArray('c', b'text')``.
        """
        if self._format.lstrip("@=<>!") == "c":
            return f"SharedArray({self._format!r}, {self.tobytes()!r})"
        return f"SharedArray({self._format!r}, {self.get()!r})"


def _position(index: Any, length: int) -> int:
    """The position ``index`` names in an array of ``length`` items (negative from the end)."""
    if not hasattr(index, "__index__"):
        raise TypeError(
            f"SharedArray indices must be integers or slices, not {type(index).__name__}"
        )
    position = index.__index__()
    if position < 0:
        position += length
    if not 0 <= position < length:
        raise IndexError(f"SharedArray index {index} out of range (length {length})")
    return position


def _slice_text(index: slice) -> str:
    parts = ["" if part is None else str(part) for part in (index.start, index.stop, index.step)]
    return ":".join(parts if index.step is not None else parts[:2])


class _StructArray(SharedArray):
    """A SharedArray of any one-item format ('10s', '<i', 'e'): struct reads and writes items."""

    __slots__ = ("_bytes", "_format", "_length", "_lock", "_raw", "_struct")

    def __len__(self) -> int:
        return self._length

    def _offset(self, index: SupportsIndex) -> int:
        return _position(index, self._length) * self._struct.size

    def __getitem__(self, index: SupportsIndex | slice) -> Any:
        lock = self._lock
        if isinstance(index, slice):
            positions = range(*index.indices(self._length))
            if lock is None:
                return self._read_positions(positions)
            lock.acquire()
            try:
                return self._read_positions(positions)
            finally:
                lock.release()
        offset = self._offset(index)
        if lock is None:
            return self._struct.unpack_from(self._bytes, offset)[0]
        lock.acquire()
        try:
            return self._struct.unpack_from(self._bytes, offset)[0]
        finally:
            lock.release()

    def _read_positions(self, positions: range) -> list[Any]:
        unpack_from, size, view = self._struct.unpack_from, self._struct.size, self._bytes
        return [unpack_from(view, position * size)[0] for position in positions]

    def _read_all(self) -> list[Any]:
        return [item for (item,) in self._struct.iter_unpack(self._bytes)]

    def __setitem__(self, index: SupportsIndex | slice, value: Any) -> None:
        if isinstance(index, slice):
            self._assign_slice(index, value)
            return
        offset = self._offset(index)
        packed = _pack_items(self._struct, [value], [offset // self._struct.size])
        lock = self._lock
        if lock is None:
            self._bytes[offset : offset + len(packed)] = packed
            return
        lock.acquire()
        try:
            self._bytes[offset : offset + len(packed)] = packed
        finally:
            lock.release()


class _CtypesArray(SharedArray):
    """A SharedArray of a native numeric format: a ctypes array over the shared bytes.

    The concrete classes (see _array_class) put a ctypes array type after this one, so that
    len() and item access are ctypes' own C code, unless the class overrides them: with a lock,
    or where ctypes would store a value the format cannot hold. The overrides read and write
    through ``_items``, a memoryview of the items, which checks each value's range in C.

    Unlocked integer writes: ctypes wraps 300 into a 'B' item as 44, so those classes check
    the range in ``_checked_setitem``. A Python ``__setitem__`` runs at about half of ctypes'
    speed (no C code in CPython both checks the range and takes a list for a slice), so where
    the optional C extension ``processing._speedups`` was built, it takes over the class's
    item-assignment slot: ints that fit go straight to ctypes, the rest to this same Python
    writer (see _install_c_writer).
    """

    __slots__ = ()
    _items: memoryview

    def _read_all(self) -> list[Any]:
        return self._items.tolist()

    def _setitem_failed(self, index: Any, value: Any, error: BaseException) -> None:
        """Finish a write the memoryview refused: a slice of a list, or a bad value."""
        if isinstance(index, slice):
            self._assign_slice(index, value)
            return
        _position(index, self._length)  # raises for a bad index
        _pack_items(self._struct, [value], [index])  # raises struct's reason, if it has one
        raise _cannot_hold("SharedArray", self._format, value, error, f" (index {index})")


#: What a memoryview raises for a bad index, a value its format cannot hold, or a slice of
#: a list: all reported by _setitem_failed in SharedArray's own terms.
_ITEM_ERRORS = (IndexError, TypeError, ValueError, OverflowError)


def _checked_setitem(self: Any, index: Any, value: Any) -> None:
    try:
        self._items[index] = value
    except _ITEM_ERRORS as error:
        self._setitem_failed(index, value, error)


def _locked_setitem(self: Any, index: Any, value: Any) -> None:
    lock = self._lock
    lock.acquire()
    try:
        self._items[index] = value
        return
    except _ITEM_ERRORS as error:
        failure = error
    finally:
        lock.release()
    self._setitem_failed(index, value, failure)


def _locked_getitem(self: Any, index: Any) -> Any:
    lock = self._lock
    lock.acquire()
    try:
        item = self._items[index]
        if isinstance(item, memoryview):
            return _slice_of(item.format, item.tolist())
        return item
    except (IndexError, TypeError):
        _position(index, self._length)  # raises SharedArray's message for a bad index
        raise
    finally:
        lock.release()


_array_classes: dict[tuple[str, int, bool], type[SharedArray]] = {}
_ARRAY_SLOTS = ("_bytes", "_format", "_items", "_length", "_lock", "_raw", "_struct")


def _ctypes_code(format: str) -> str | None:
    """The format's one-character code if ctypes stores it natively, else None."""
    code = format[1:] if format.startswith("@") else format
    return code if code in _CTYPES_NAMES else None


def _array_class(code: str | None, length: int, locked: bool) -> type[SharedArray]:
    """The class of a SharedArray: a ctypes array subclass for native numeric formats."""
    if code is None:
        return _StructArray
    key = (code, length, locked)
    cls = _array_classes.get(key)
    if cls is None:
        import ctypes

        # Slots, not an instance dict: reading self._items in _checked_setitem, once per
        # item write, is then a fixed-offset load (about 20 ns less per write).
        namespace: dict[str, Any] = {
            "__module__": __name__,
            "__qualname__": "SharedArray",
            "__slots__": _ARRAY_SLOTS,
        }
        if locked:
            namespace["__getitem__"] = _locked_getitem
            namespace["__setitem__"] = _locked_setitem
        elif code not in _UNCHECKED_CODES:
            namespace["__setitem__"] = _checked_setitem
        ctype = getattr(ctypes, _CTYPES_NAMES[code]) * length
        cls = _array_classes[key] = type("SharedArray", (_CtypesArray, ctype), namespace)
        if not locked and code not in _UNCHECKED_CODES:
            _install_c_writer(cls, code)
    return cls


#: processing._speedups once set up; False where it was not built (no C compiler).
_speedups: Any = None


def _install_c_writer(cls: type[SharedArray], code: str) -> bool:
    """Give an unlocked integer SharedArray class the C writer of processing._speedups,
    which does what _checked_setitem does at ctypes' speed; whether it did."""
    global _speedups
    if _speedups is None:
        try:
            from . import _speedups as module
        except ImportError:
            _speedups = False
            return False
        import ctypes

        # A probe array of three items: where its ctypes fields read back its address and
        # length, the writers store straight into memory.
        probe = (ctypes.c_byte * 3)()
        module.setup(type(probe), _checked_setitem, probe, ctypes.addressof(probe), len(probe))
        _speedups = module
    return bool(_speedups and _speedups.install(cls, code))


def _attach_array(
    format: str, compiled: struct.Struct, length: int, raw: Any, lock: Any
) -> SharedArray:
    code = _ctypes_code(format)
    cls: Any = _array_class(code, length, lock is not None)
    array: Any = object.__new__(cls) if code is None else cls.from_buffer(raw)
    array._format = format
    array._struct = compiled
    array._length = length
    array._raw = raw
    array._bytes = memoryview(raw).cast("B")
    array._lock = lock
    if code is not None:
        array._items = array._bytes.cast(code)
    return array


def _rebuild_array(format: str, length: int, raw: Any, lock: Any) -> SharedArray:
    return _attach_array(format, struct.Struct(format), length, raw, lock)


# -- LocalManager --------------------------------------------------------------------------


class LocalManager:
    """LocalManager: makes shared values, structs, arrays and locks; no server process to run.

    The ``processing`` package's LocalManager: every object it makes lives in shared memory
    and is shared by inheritance (pass it to ``Process`` as an argument). Nothing to start or
    shut down; it works as a context manager for code written for the other managers.
    """

    def __init__(self, ctx: BaseContext | None = None) -> None:
        self._ctx = _context(ctx)

    def SharedValue(self, format: str, value: Any, lock: bool | _LockLike = True) -> SharedValue:
        """A SharedValue: one value of a one-item struct format, shared by inheritance."""
        return SharedValue(format, value, lock, self._ctx)

    def SharedStruct(
        self, format: str, value: Sequence[Any], lock: bool | _LockLike = True
    ) -> SharedStruct:
        """A SharedStruct: a tuple of values laid out by a struct format."""
        return SharedStruct(format, value, lock, self._ctx)

    def SharedArray(
        self, format: str, sequence: Iterable[Any] | int, lock: bool | _LockLike = True
    ) -> SharedArray:
        """A SharedArray: items of one struct format."""
        return SharedArray(format, sequence, lock, self._ctx)

    def Lock(self) -> _Lock:
        """A multiprocessing Lock."""
        return self._ctx.Lock()

    def RLock(self) -> _RLock:
        """A multiprocessing RLock."""
        return self._ctx.RLock()

    def Semaphore(self, value: int = 1) -> _Semaphore:
        """A multiprocessing Semaphore."""
        return self._ctx.Semaphore(value)

    def BoundedSemaphore(self, value: int = 1) -> _BoundedSemaphore:
        """A multiprocessing BoundedSemaphore."""
        return self._ctx.BoundedSemaphore(value)

    def Condition(self, lock: _Lock | _RLock | None = None) -> _Condition:
        """A multiprocessing Condition."""
        return self._ctx.Condition(lock)

    def Event(self) -> _Event:
        """A multiprocessing Event."""
        return self._ctx.Event()

    def Queue(self, maxsize: int = 0) -> _Queue[Any]:
        """A multiprocessing Queue (its put() may block when full: see BufferedQueue)."""
        return self._ctx.Queue(maxsize)

    def _debug_info(self) -> None:
        """Nothing to report: no server keeps objects alive (0.3x returned None too)."""
        return None

    _debugInfo = _debug_info

    def start(self) -> None:
        """Nothing to start: a LocalManager has no server process."""

    def shutdown(self) -> None:
        """Nothing to shut down: the shared memory is freed with its last user."""

    def join(self, timeout: float | None = None) -> None:
        """Nothing to wait for."""

    def __enter__(self) -> LocalManager:
        return self

    def __exit__(self, *args: object) -> None:
        self.shutdown()
