"""Copy the parent's globals into each spawned child, as ``fork`` would have them.

At every child start (spawn or forkserver) the process object carries a
:class:`GlobalsCarrier`. It is pickled inside ``Popen._launch`` while the spawning popen is
set, so Queues, Locks and Values among the globals are shared exactly as when passed as
arguments. In the child it is unpickled after the main module has been replayed and before
the target runs, and installs the globals there.

What travels: (a) names that the script's functions read as globals and that the replay does
not produce (bound by actions, rebound by ``global``, mutated); (b) functions and classes that
live in the parent's main namespace but that the replay does not make (pickles name them as
``__main__.Name``, so the child needs them). Big data that no function reads stays home.

Objects that carry file descriptors or semaphores are not pickled here but handed to the
process object's own pickler (see ``_GlobalsPickler``): a Queue pickled twice by two picklers
registers its descriptors twice, which breaks the child start.

Thread-only synchronisation objects (``queue.Queue``, ``threading.Lock``, ``Event``, ...)
cannot be pickled, yet fork copies them and a guarded script's re-import under spawn makes
them anew; a function that reads one in a child (a manager's ``lambda: queue`` registered as
a typeid) must find it. They travel as fresh objects with the contents fork would copy (see
:func:`fork_copy`).
"""

from __future__ import annotations

import io
import pickle
import sys
import threading
from types import FunctionType

from procrun import pickling, state

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: Above this many bytes of copied globals per child, warn once.
LARGE_TRANSFER = 64 * 1024 * 1024

_travelling: frozenset[str] | None = None
#: name -> (value, reason) of globals found unpicklable, not retried while unchanged
_unpicklable: dict[str, tuple[Any, str]] = {}
_shared_for_unpickling: list[Any] | None = None


class GlobalsCarrier:
    """Rides on a process object; pickled for a spawned child, carries the globals.

    A global that is itself a process object (``p = Process(...)``, read by a function)
    carries the carrier too: inside a snapshot it pickles as nothing, or every snapshot
    would start another one.
    """

    __slots__ = ()

    def __reduce__(self) -> tuple[Any, ...]:
        from multiprocessing.context import get_spawning_popen

        thread = threading.get_ident()
        if get_spawning_popen() is None or state.main_globals is None or thread in _snapshotting:
            return (_nothing, ())
        _snapshotting.add(thread)
        try:
            payload, shared, missing = snapshot(state.main_globals)
        finally:
            _snapshotting.discard(thread)
        return (install, (payload, shared, missing))


#: Threads taking a snapshot now (each child start pickles in its own starting thread).
_snapshotting: set[int] = set()


CARRIER = GlobalsCarrier()


def _nothing() -> None:
    return None


def travelling_names() -> frozenset[str]:
    """Names the script's functions read as globals that a child does not replay."""
    global _travelling
    if _travelling is None:
        target = state.target
        split = target.split if target is not None else None
        if target is None or split is None or target.source is None:
            _travelling = frozenset()
        else:
            read = names_read_by_functions(target.source, target.filename)
            _travelling = frozenset(read - split.replayed)
    return _travelling


def names_read_by_functions(source: bytes | str, filename: str) -> set[str]:
    """Global names read inside functions, lambdas and methods (not module-level code)."""
    from procrun.imports import import_unshadowed

    symtable = import_unshadowed("symtable")
    if isinstance(source, bytes):
        import_unshadowed("tokenize")  # decode_source imports it
        from importlib.util import decode_source

        source = decode_source(source)
    names: set[str] = set()

    def visit(table: Any, in_function: bool) -> None:
        is_comprehension = ".0" in table.get_identifiers()
        counts = in_function or (table.get_type() == "function" and not is_comprehension)
        if counts:
            names.update(
                s.get_name() for s in table.get_symbols() if s.is_global() and s.is_referenced()
            )
        for child in table.get_children():
            visit(child, counts)

    visit(symtable.symtable(source, filename, "exec"), False)
    return names


def snapshot(namespace: dict[str, Any]) -> tuple[bytes, list[Any], dict[str, str]]:
    """Pickle what travels from ``namespace``: (payload, shared objects, missing names)."""
    replayed = state.replayed_names() or frozenset()
    bound_in_child = state.defined_names() or frozenset()
    values = {name: namespace[name] for name in travelling_names() if name in namespace}
    for name, value in list(namespace.items()):
        if (
            name not in replayed
            and name not in values
            and (type(value) is FunctionType or isinstance(value, type))
            and getattr(value, "__module__", None) in pickling.MAIN_MODULES
        ):
            values[name] = value
    left_out: dict[str, str] = {}  # name -> why it cannot travel
    for name, (value, reason) in _unpicklable.items():
        if values.get(name, left_out) is value:
            del values[name]
            left_out[name] = reason
    shared: list[Any] = []
    try:
        payload = _dump(values, shared)
    except Exception:
        shared.clear()
        for name, (reason, lasting) in _find_unpicklable(values, bound_in_child).items():
            left_out[name] = reason
            value = values.pop(name)
            if lasting:
                _unpicklable[name] = (value, reason)
        try:
            payload = _dump(values, shared)
        except Exception as error:  # an interaction between items; copy nothing
            pickling.warn_once("*", f"globals are not copied into child processes: {error}")
            left_out.update(dict.fromkeys(values, str(error)))
            shared.clear()
            payload = _dump({}, shared)
    if len(payload) > LARGE_TRANSFER:
        _warn_large(values, len(payload))
    # A name the child's replay binds is no NameError there (see _find_unpicklable).
    missing = {name: why for name, why in left_out.items() if name not in bound_in_child}
    return payload, shared, missing


def _find_unpicklable(
    values: dict[str, Any], bound_in_child: frozenset[str] = frozenset()
) -> dict[str, tuple[str, bool]]:
    """name -> (why it cannot be pickled, whether that lasts while the value is unchanged).
    A RecursionError depends on how deep the stack already was: tried again next time.

    A name the child's replay binds too (``import processing``, later rebound to a manager
    by the main process) is no NameError there: the child reads the replayed value, as a
    guarded script's child under spawn reads its import's; that is not warned about."""
    bad = {}
    for name, value in values.items():
        try:
            _dump({name: value}, [])
        except Exception as error:
            kind = type(value)
            reason = f"{kind.__name__} objects cannot be pickled ({error})"
            bad[name] = (reason, not isinstance(error, RecursionError))
            lacking = name not in bound_in_child
            if lacking and not kind.__module__.startswith(_PROCESS_LOCAL_MODULES):
                pickling.warn_once(
                    name,
                    f"global {name!r} is not copied into child processes: {reason}; "
                    "a function that reads it there raises NameError",
                )
    return bad


# Objects of these modules (pools, executors, managers, threads) belong to the process that
# made them; the parent's own functions often read them, so their absence is not news.
_PROCESS_LOCAL_MODULES = ("multiprocessing.", "concurrent.futures", "threading", "asyncio")


def _warn_large(values: dict[str, Any], total: int) -> None:
    if "*large*" in pickling.warned:
        return
    sizes = sorted(((len(_dump({n: v}, [])), n) for n, v in values.items()), reverse=True)
    largest = ", ".join(f"{name!r} ({size / 2**20:.0f} MiB)" for size, name in sizes[:3])
    # processing.transfer.ADVICE says the same; not imported from there, as a processing.py
    # beside the script would be found first.
    pickling.warn_once(
        "*large*",
        f"{total / 2**20:.0f} MiB of globals are copied into each child process (largest: "
        f"{largest}); avoid shifting large amounts of data between processes: put it in a "
        "processing.SharedArray, or pass a file path the child reads",
    )


def _shared_types() -> tuple[type, ...]:
    """Types whose pickling registers descriptors or semaphores with the spawning popen."""
    found: list[type] = []
    modules = sys.modules
    for module_name, names in (
        ("multiprocessing.connection", ("Connection", "PipeConnection")),  # Windows: Pipe()'s
        ("multiprocessing.queues", ("Queue", "SimpleQueue")),
        ("multiprocessing.synchronize", ("SemLock", "Condition", "Event", "Barrier")),
        ("multiprocessing.sharedctypes", ("SynchronizedBase",)),
        ("multiprocessing.heap", ("BufferWrapper", "Arena")),
        ("socket", ("socket",)),
    ):
        module = modules.get(module_name)
        if module is not None:
            found.extend(getattr(module, name) for name in names if hasattr(module, name))
    return tuple(found)


def _dump(values: dict[str, Any], shared: list[Any]) -> bytes:
    buffer = io.BytesIO()
    _GlobalsPickler(buffer, shared).dump(values)
    return buffer.getvalue()


def _pickler_base() -> type:
    from multiprocessing.reduction import ForkingPickler

    return ForkingPickler


class _GlobalsPickler(_pickler_base()):  # type: ignore[misc]
    """Pickles globals, handing descriptor-bearing objects to the outer pickler."""

    def __init__(self, file: io.BytesIO, shared: list[Any]) -> None:
        super().__init__(file, pickle.HIGHEST_PROTOCOL)
        self._shared = shared
        self._shared_types = _shared_types()
        ctypes_reducer = None
        sharedctypes = sys.modules.get("multiprocessing.sharedctypes")
        if sharedctypes is not None:
            ctypes_reducer = sharedctypes.reduce_ctype
        self._ctypes_reducer = ctypes_reducer
        self._queue_types = queue_types()

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, self._shared_types) or (
            self._ctypes_reducer is not None
            and self._extra_reducers.get(type(obj)) is self._ctypes_reducer
        ):
            self._shared.append(obj)
            return (_shared_object, (len(self._shared) - 1,))
        copy = fork_copy(obj, self._queue_types)
        if copy is not None:
            return copy
        return pickling.reducer_override(self, obj)


def queue_types() -> tuple[type, ...]:
    """The ``queue`` module's queue classes, if loaded: not imported here, since a fork server
    imports this module and a ``queue.py`` in its current directory would be found first."""
    module = sys.modules.get("queue")
    names = ("Queue", "LifoQueue", "PriorityQueue")
    return tuple(getattr(module, name) for name in names if hasattr(module, name))


#: lock class -> what makes a fresh one (``_thread.lock`` cannot be called before 3.13)
_LOCKS: dict[type, Any] = {
    type(threading.Lock()): threading.Lock,
    type(threading.RLock()): threading.RLock,
    threading._PyRLock: threading._PyRLock,  # type: ignore[attr-defined]
}


def fork_copy(obj: Any, queues: tuple[type, ...]) -> tuple[Any, ...] | None:
    """How to make, in the child, the copy of a thread-only object that fork would make.

    Contents are copied as fork copies memory: a queue's items and unfinished count, an
    event's flag, a semaphore's value. Locks come unlocked: a lock held in the parent is held
    by one of the parent's threads, which the child does not have, so a held copy could never
    be released (fork's own trap). Only the standard classes themselves: a subclass may keep
    state of its own. None for anything else.
    """
    kind = type(obj)
    if kind in _LOCKS:
        return (_LOCKS[kind], ())
    if kind in queues:
        with obj.mutex:
            return (_queue_copy, (kind, obj.maxsize, list(obj.queue), obj.unfinished_tasks))
    if kind is threading.Event:
        return (_event_copy, (obj.is_set(),))
    if kind is threading.Condition:
        return (threading.Condition, (obj._lock,))
    if kind in (threading.Semaphore, threading.BoundedSemaphore):
        return (_semaphore_copy, (kind, getattr(obj, "_initial_value", obj._value), obj._value))
    return None


def _queue_copy(kind: type, maxsize: int, items: list[Any], unfinished: int) -> Any:
    copy = kind(maxsize)
    for item in items:
        copy._put(item)
    copy.unfinished_tasks = unfinished
    return copy


def _event_copy(flag: bool) -> threading.Event:
    event = threading.Event()
    if flag:
        event.set()
    return event


def _semaphore_copy(kind: type, initial: int, value: int) -> Any:
    semaphore = kind(initial)  # a BoundedSemaphore's bound is its initial value
    semaphore._value = value
    return semaphore


def _shared_object(index: int) -> Any:
    assert _shared_for_unpickling is not None
    return _shared_for_unpickling[index]


def install(payload: bytes, shared: list[Any], missing: dict[str, str]) -> None:
    """In the child: put the parent's globals into the replayed main namespace."""
    global _shared_for_unpickling
    _shared_for_unpickling = shared
    try:
        values = pickle.loads(payload)
    finally:
        _shared_for_unpickling = None
    namespace = state.main_globals
    if namespace is None:
        namespace = sys.modules["__main__"].__dict__
    namespace.update(values)
    main = sys.modules.get("__main__")
    if main is not None and main.__dict__ is not namespace:
        main.__dict__.update(values)
    if missing:
        state.missing_globals.update(missing)
        _annotate_name_errors()


def annotate(error: BaseException) -> BaseException:
    """Add a note to a NameError for a global that could not be copied into this child."""
    name = getattr(error, "name", None)
    if not isinstance(error, NameError) or name not in state.missing_globals:
        return error
    note = (
        f"procrun: the global {name!r} was not copied into this child process: "
        f"{state.missing_globals[name]}"
    )
    if note in getattr(error, "__notes__", ()):
        return error
    if hasattr(error, "add_note"):
        error.add_note(note)
    else:  # Python 3.10 has no notes
        error.args = (f"{error.args[0] if error.args else ''}\n{note}",)
    return error


_annotating = False


def _annotate_name_errors() -> None:
    """Make NameErrors carry the note: those raised by Pool and executor tasks, and those a
    process's ``run`` raises, which ``BaseProcess._bootstrap`` prints with
    ``traceback.print_exc`` (annotated there, so that no frame of procrun's is added to the
    traceback the child prints)."""
    global _annotating
    if _annotating:
        return
    _annotating = True
    from procrun.hooks import when_imported

    when_imported("traceback", _annotate_printed_tracebacks)
    for module_name, attribute in (
        ("multiprocessing.pool", "ExceptionWithTraceback"),
        ("concurrent.futures.process", "_ExceptionWithTraceback"),
    ):
        module = sys.modules.get(module_name)
        if module is not None:
            wrapped = getattr(module, attribute)
            setattr(module, attribute, _annotating_wrapper(wrapped))


def _annotate_printed_tracebacks() -> None:
    traceback: Any = sys.modules["traceback"]
    traceback.print_exc = _annotating_print_exc(traceback.print_exc)


def _annotating_print_exc(print_exc: Any) -> Any:
    def print_exc_with_notes(
        limit: int | None = None, file: Any = None, chain: bool = True
    ) -> None:
        error = sys.exc_info()[1]
        if error is not None:
            annotate(error)
        print_exc(limit, file, chain)

    print_exc_with_notes.__doc__ = print_exc.__doc__
    return print_exc_with_notes


def _annotating_wrapper(wrapped: Any) -> Any:
    def wrapper(exc: BaseException, tb: Any) -> Any:
        return wrapped(annotate(exc), tb)

    return wrapper
