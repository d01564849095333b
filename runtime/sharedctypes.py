"""ctypes objects in shared memory, as the ``processing`` package (0.40-0.52) made them.

``RawValue``/``RawArray`` return ``multiprocessing``'s own ctypes objects, and ``Value``/
``Array`` its own synchronized wrappers with the old accessor names added (``getobj`` and
``getlock`` besides ``get_obj`` and ``get_lock``). The wrappers are subclasses, not proxies:
``.value`` and ``[i]`` run ``multiprocessing``'s code with no layer in between, so reading
and writing cost what they cost there.

Where ``processing`` and ``multiprocessing`` differ, the old documentation wins, since the
programs this module serves were written against it:

- ``lock=`` may be any true value to get a new lock, a Lock or RLock to use, or any false
  value (``None`` included) for no lock;
- a ``'c'`` (``c_char``) value or array may be given a ``str`` as Python 2 programs did,
  when made and when ``.value`` is assigned; it is stored encoded as Latin-1, and read back
  as ``bytes`` (Python 3 has no other byte string); a raw ``'c'`` value (``RawValue``) is
  ctypes' own ``c_char``, which takes bytes only;

and what would go wrong silently or far away is refused where it is written: a
``threading`` lock (which no other process can see), an unknown typecode, an initializer
that is neither a length nor a sequence.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import multiprocessing.sharedctypes as _mp_sharedctypes
import weakref
from multiprocessing.context import assert_spawning

from .sharedmem import _latin1

TYPE_CHECKING = False
if TYPE_CHECKING:
    from multiprocessing.context import BaseContext
    from typing import Any

__all__ = [
    "Array",
    "RawArray",
    "RawValue",
    "Synchronized",
    "SynchronizedArray",
    "SynchronizedBase",
    "SynchronizedString",
    "Value",
    "copy",
    "new_array",
    "new_value",
    "synchronized",
    "typecode_to_type",
]

#: The one-character typecodes of the ``array`` module, and the ctypes type each stands for.
typecode_to_type: dict[str, type] = dict(getattr(_mp_sharedctypes, "typecode_to_type"))  # noqa: B009

SynchronizedBase = _mp_sharedctypes.SynchronizedBase


class _OldNames:
    """What ``processing``'s synchronized wrappers had that ``multiprocessing``'s lack."""

    # No slots and no __init__: multiprocessing's SynchronizedBase makes the instance.
    _obj: Any
    _lock: Any

    def getobj(self) -> Any:
        """The wrapped ctypes object (``get_obj``)."""
        return self._obj

    def getlock(self) -> Any:
        """The lock that guards the object (``get_lock``)."""
        return self._lock

    def __reduce__(self) -> tuple[Any, ...]:
        # multiprocessing's would rebuild the wrapper in the child without the old names.
        assert_spawning(self)
        return synchronized, (self._obj, self._lock)


#: multiprocessing's wrapper class -> the same with the old names (made once per class).
_with_old_names: dict[type, type] = {}


def _old_names_class(base: type) -> type:
    cls = _with_old_names.get(base)
    if cls is None:
        cls = type(base.__name__, (_OldNames, base), {"__module__": __name__})
        _with_old_names[base] = cls
    return cls


def _char_value() -> property:
    """``.value`` of a synchronized ``c_char`` object, which also takes a Python 2 ``str``."""

    def get(self: Any) -> bytes:
        with self:
            value: bytes = self._obj.value
            return value

    def set(self: Any, value: Any) -> None:
        value = _as_bytes(ctypes.c_char, value)
        with self:
            self._obj.value = value

    return property(get, set, doc="The bytes held (a str is stored as its Latin-1 bytes).")


Synchronized = _old_names_class(_mp_sharedctypes.Synchronized)
SynchronizedArray = _old_names_class(_mp_sharedctypes.SynchronizedArray)
SynchronizedString = type(
    "SynchronizedString",
    (_OldNames, _mp_sharedctypes.SynchronizedString),
    {"value": _char_value(), "__module__": __name__},
)
# A 'c' Value: the same wrapper, its value taking a str too. A class of its own, so that the
# value of every other Value is multiprocessing's property, at its speed.
_SynchronizedChar = type(
    "Synchronized", (Synchronized,), {"value": _char_value(), "__module__": __name__}
)


def _ctype(typecode_or_type: Any) -> type:
    if isinstance(typecode_or_type, str):
        ctype = typecode_to_type.get(typecode_or_type)
        if ctype is None:
            codes = "".join(sorted(typecode_to_type))
            raise ValueError(
                f"typecode_or_type {typecode_or_type!r} is not a typecode: use one of "
                f"{codes!r} (as in the array module) or a ctypes type such as ctypes.c_double"
            )
        return ctype
    if isinstance(typecode_or_type, type) and hasattr(typecode_or_type, "from_buffer"):
        return typecode_or_type
    raise TypeError(
        f"typecode_or_type must be a one-character typecode such as 'i' or 'd', or a ctypes "
        f"type such as ctypes.c_double, not {typecode_or_type!r}"
    )


def _as_bytes(ctype: type, value: Any) -> Any:
    """A Python 2 program's ``str`` for a ``c_char`` object, as the bytes it meant."""
    if ctype is not ctypes.c_char or not isinstance(value, str):
        return value
    encoded = _latin1(value)
    if encoded is value:
        raise ValueError(
            f"{value!r} has characters a 'c' (c_char) object cannot hold: give bytes, "
            f"or use the 'u' typecode (c_wchar) for text"
        )
    return encoded


def RawValue(typecode_or_type: Any, *args: Any) -> Any:
    """RawValue: a ctypes object in shared memory, without a lock; shared by inheritance."""
    ctype = _ctype(typecode_or_type)
    args = tuple(_as_bytes(ctype, arg) for arg in args)
    return _mp_sharedctypes.RawValue(ctype, *args)


def RawArray(typecode_or_type: Any, size_or_initializer: Any) -> Any:
    """RawArray: a ctypes array in shared memory, without a lock; shared by inheritance."""
    ctype = _ctype(typecode_or_type)
    size_or_initializer = _as_bytes(ctype, size_or_initializer)
    if isinstance(size_or_initializer, bool) or not (
        isinstance(size_or_initializer, int) or hasattr(size_or_initializer, "__len__")
    ):
        raise TypeError(
            f"size_or_initializer must be a length (an int) or a sequence of initial values, "
            f"not {size_or_initializer!r}"
        )
    if isinstance(size_or_initializer, int) and size_or_initializer < 0:
        raise ValueError(f"size_or_initializer {size_or_initializer} is negative: give a length")
    array: Any = _mp_sharedctypes.RawArray(ctype, size_or_initializer)
    if ctype is ctypes.c_char:
        # The same shared memory, seen through the class whose .value takes a str too.
        return _rebuild_char_array(array._wrapper, array._length_)
    return array


#: length -> the ``c_char`` array class of that length whose ``.value`` also takes a str
_char_arrays: dict[int, type] = {}


def _char_array(length: int) -> Any:
    """``c_char * length``, its ``.value`` taking a Python 2 ``str`` as well (Latin-1)."""
    cls = _char_arrays.get(length)
    if cls is None:
        base = ctypes.c_char * length
        plain = base.__dict__["value"]

        def set_value(self: Any, value: Any) -> None:
            plain.__set__(self, _as_bytes(ctypes.c_char, value))

        cls = type(base.__name__, (base,), {"__module__": __name__})
        # Set after the class is made: ctypes gives every new c_char array class its own.
        cls.value = property(plain.__get__, set_value, doc="The bytes up to the first NUL.")  # type: ignore[attr-defined]
        from multiprocessing.reduction import ForkingPickler

        # multiprocessing's reducer would rebuild the plain ctypes class in a child.
        ForkingPickler.register(cls, _reduce_char_array)
        _char_arrays[length] = cls
    return cls


def _reduce_char_array(array: Any) -> tuple[Any, ...]:
    assert_spawning(array)
    return _rebuild_char_array, (array._wrapper, array._length_)


def _rebuild_char_array(wrapper: Any, length: int) -> Any:
    array = _char_array(length).from_buffer(wrapper.create_memoryview())
    array._wrapper = wrapper  # keeps the shared memory alive as long as the array
    return array


def new_value(typecode_or_type: Any, *args: Any) -> Any:
    """new_value (processing 0.39): ``RawValue`` by its old name."""
    return RawValue(typecode_or_type, *args)


def new_array(typecode_or_type: Any, size_or_initializer: Any) -> Any:
    """new_array (processing 0.39): ``RawArray`` by its old name."""
    return RawArray(typecode_or_type, size_or_initializer)


def Value(
    typecode_or_type: Any, *args: Any, lock: Any = True, ctx: BaseContext | None = None
) -> Any:
    """Value: a ctypes object in shared memory, guarded by a lock; shared by inheritance.

    ``lock``: true for a new RLock, a Lock or RLock to share, false for none (a raw value).
    """
    lock = _check_lock(lock)
    obj = RawValue(typecode_or_type, *args)
    return obj if lock is None else synchronized(obj, lock, ctx)


def Array(
    typecode_or_type: Any,
    size_or_initializer: Any,
    *,
    lock: Any = True,
    ctx: BaseContext | None = None,
) -> Any:
    """Array: a ctypes array in shared memory, guarded by a lock; shared by inheritance.

    ``lock``: true for a new RLock, a Lock or RLock to share, false for none (a raw array).
    """
    lock = _check_lock(lock)
    obj = RawArray(typecode_or_type, size_or_initializer)
    return obj if lock is None else synchronized(obj, lock, ctx)


def _check_lock(lock: Any) -> Any:
    """The lock to use: None for none, True for a new one, else the lock given."""
    if not lock:
        return None
    if not hasattr(lock, "acquire"):
        return True  # processing: any true value asks for a new lock
    if type(lock).__module__ in ("_thread", "threading"):
        raise TypeError(
            f"lock={lock!r} is a threading lock, which other processes cannot see: use "
            f"processing.Lock() or processing.RLock(), or lock=True for a new one"
        )
    return lock


def copy(obj: Any) -> Any:
    """A copy of the ctypes object ``obj`` in shared memory (a raw object, without a lock)."""
    if isinstance(obj, SynchronizedBase):
        raise TypeError(
            f"copy() takes a ctypes object, not a synchronized wrapper: "
            f"copy(value.getobj()) copies what {obj!r} guards"
        )
    if not isinstance(obj, (ctypes._SimpleCData, ctypes.Array, ctypes.Structure, ctypes.Union)):
        raise TypeError(f"copy() takes a ctypes object such as RawValue('i', 1), not {obj!r}")
    if isinstance(obj, ctypes.Array) and obj._type_ is ctypes.c_char:
        return RawArray(ctypes.c_char, obj.raw)  # of the class whose .value takes a str
    return _mp_sharedctypes.copy(obj)


def synchronized(obj: Any, lock: Any = None, ctx: BaseContext | None = None) -> Any:
    """A wrapper around the ctypes object ``obj`` that takes ``lock`` (default: a new RLock)
    around each access; ``getobj()`` and ``getlock()`` return what it holds."""
    if isinstance(obj, SynchronizedBase):
        raise ValueError(f"{obj!r} is synchronized already: use it as it is")
    if not isinstance(obj, (ctypes._SimpleCData, ctypes.Array, ctypes.Structure, ctypes.Union)):
        raise TypeError(
            f"synchronized() takes a ctypes object such as RawValue('i', 1), not {obj!r}"
        )
    if lock is True:
        lock = None  # multiprocessing makes a new RLock for None
    elif lock is not None:
        given, lock = lock, _check_lock(lock)
        if lock is True:
            raise TypeError(f"lock={given!r} is not a lock: give a Lock or an RLock, or None")
    # Made as an instance of the class with the old names from the start: swapping the class
    # of multiprocessing's instance afterwards costs every attribute access its fast path.
    return _wrapper_class(obj)(obj, lock, ctx or multiprocessing.get_context())


#: A Structure's class -> its synchronized wrapper class (with a property per field).
_struct_classes: weakref.WeakKeyDictionary[type, type] = weakref.WeakKeyDictionary()


def _wrapper_class(obj: Any) -> type:
    if isinstance(obj, ctypes._SimpleCData):
        return _SynchronizedChar if type(obj) is ctypes.c_char else Synchronized
    if isinstance(obj, ctypes.Array):
        return SynchronizedString if obj._type_ is ctypes.c_char else SynchronizedArray
    ctype = type(obj)
    cls = _struct_classes.get(ctype)
    if cls is None:
        make_property = getattr(_mp_sharedctypes, "make_property")  # noqa: B009  (not in stubs)
        fields = {field[0]: make_property(field[0]) for field in ctype._fields_}
        fields["__module__"] = __name__
        cls = type(f"Synchronized{ctype.__name__}", (_OldNames, SynchronizedBase), fields)
        _struct_classes[ctype] = cls
    return cls
