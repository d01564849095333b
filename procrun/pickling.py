"""By-value pickling of what a child cannot import: lambdas, closures, nested functions,
and functions or classes that only the parent's script actions created.

``reducer_override`` is installed on ``multiprocessing.reduction.ForkingPickler`` (the class
that ``connection`` and ``queues`` use too), so process arguments, ``Pool`` tasks and results
all go through it. Registering a reducer for ``types.FunctionType`` would not work: the C
pickler saves functions as globals before it looks at the dispatch table.

A function travels as its marshalled code plus its defaults, closure and ``__dict__``; in the
child its globals are the live namespace of its module (for the script, the namespace the
replay built, with the copied globals in it), so it sees what the script's other functions see.
Classes travel with cloudpickle, imported only when one actually has to. The standard
streams travel by name: each child gets its own ``sys.stdout`` (or ``stderr``, ``stdin``).
"""

from __future__ import annotations

import io
import marshal
import pickle
import sys
from io import TextIOWrapper
from types import CellType, CodeType, FunctionType, ModuleType

from procrun import state

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

MAIN_MODULES = ("__main__", "__mp_main__")

_code_bytes: dict[int, tuple[CodeType, bytes]] = {}
#: Classes copied by value, pickled: kept from one process start to the next (a pool's tasks
#: carry the class many times), made anew at each start (see :func:`forget_classes`).
_class_bytes: dict[type, bytes] = {}
#: Keys of the warnings given already (each is given once per process).
warned: set[str] = set()


def warn_once(key: str, message: str) -> None:
    """``procrun: warning: message`` on stderr, the first time ``key`` is warned about."""
    if key in warned:
        return
    warned.add(key)
    stderr = sys.stderr
    if stderr is None:  # a windowed app (pythonw, --windowed): python drops it too
        return
    try:
        stderr.write(f"procrun: warning: {message}\n")
        stderr.flush()
    except (OSError, ValueError):  # closed: a warning must not stop the child start
        pass


def reducer_override(pickler: Any, obj: Any) -> Any:
    """``Pickler.reducer_override``: by value where by reference would fail in a child."""
    kind = type(obj)
    if kind is FunctionType:
        return NotImplemented if _by_reference(obj) else _reduce_function(obj)
    if kind is ModuleType:
        return _reduce_module(obj)
    if isinstance(obj, type) and not _by_reference(obj):
        return _reduce_class(obj)
    if kind is TextIOWrapper:
        return _reduce_stream(obj)
    return NotImplemented


def _by_reference(obj: Any) -> bool:
    """Whether a child can find ``obj`` by its module and qualified name."""
    module_name = obj.__module__
    qualname = obj.__qualname__
    if "<" in qualname:  # <lambda>, <locals>
        return False
    # The parent finds everything in its main namespace; a child only what the replay made.
    if module_name in MAIN_MODULES:
        replayed = state.replayed_names()
        if replayed is not None and qualname.partition(".")[0] not in replayed:
            return False
    module = sys.modules.get(module_name)
    if module is None:
        return True  # let pickle import it, and fail as usual if it cannot
    found: Any = module
    for part in qualname.split("."):
        found = getattr(found, part, None)
    return found is obj


#: The standard streams by the name a child finds its own under.
STANDARD_STREAMS = ("stdout", "stderr", "stdin", "__stdout__", "__stderr__", "__stdin__")


def _reduce_stream(stream: TextIOWrapper) -> Any:
    """A standard stream travels as "the child's own stream of that name": under fork the
    child writes to the stream it inherited, and an open stream cannot be pickled."""
    for name in STANDARD_STREAMS:
        if getattr(sys, name, None) is stream:
            return (standard_stream, (name,))
    return NotImplemented


def standard_stream(name: str) -> Any:
    return getattr(sys, name)


def _reduce_module(module: ModuleType) -> Any:
    name = module.__name__
    if name in MAIN_MODULES or sys.modules.get(name) is not module:
        return NotImplemented
    return (_import_module, (name,))


def _import_module(name: str) -> ModuleType:
    import importlib

    return importlib.import_module(name)


class _EmptyCell:
    def __reduce__(self) -> str:
        return "EMPTY_CELL"


EMPTY_CELL = _EmptyCell()


def _reduce_function(function: FunctionType) -> tuple[Any, ...]:
    code = function.__code__
    cached = _code_bytes.get(id(code))
    if cached is None or cached[0] is not code:
        cached = _code_bytes[id(code)] = (code, marshal.dumps(code))
    cells = None
    if function.__closure__:
        cells = tuple(_cell_value(cell) for cell in function.__closure__)
    state_ = (
        function.__defaults__,
        function.__kwdefaults__,
        cells,
        function.__dict__ or None,
        function.__doc__,
    )
    arguments = (cached[1], function.__module__, function.__name__, function.__qualname__)
    # The state is set after the function exists, so a closure may refer to itself.
    return (_make_function, (*arguments, len(cells or ())), state_, None, None, _set_state)


def _cell_value(cell: CellType) -> Any:
    try:
        return cell.cell_contents
    except ValueError:
        return EMPTY_CELL


def _make_function(
    code_bytes: bytes, module: str, name: str, qualname: str, cell_count: int
) -> FunctionType:
    code = marshal.loads(code_bytes)
    closure = tuple(CellType() for _ in range(cell_count)) if cell_count else None
    function = FunctionType(code, module_globals(module), name, None, closure)
    function.__qualname__ = qualname
    function.__module__ = module
    return function


def _set_state(function: FunctionType, state_: tuple[Any, ...]) -> None:
    defaults, kwdefaults, cells, attributes, doc = state_
    function.__defaults__ = defaults
    function.__kwdefaults__ = kwdefaults
    function.__doc__ = doc
    if cells:
        for cell, value in zip(function.__closure__ or (), cells, strict=True):
            if value is not EMPTY_CELL:
                cell.cell_contents = value
    if attributes:
        function.__dict__.update(attributes)


def module_globals(module: str) -> dict[str, Any]:
    """The live globals of ``module`` in this process (the script's namespace for main)."""
    if module in MAIN_MODULES:
        if state.main_globals is not None:
            return state.main_globals
        return sys.modules["__main__"].__dict__
    found = sys.modules.get(module)
    if found is None:
        try:
            found = _import_module(module)
        except ImportError:
            return {"__builtins__": sys.modules["builtins"], "__name__": module}
    return found.__dict__


def forget_classes() -> None:
    """At each process start: copy classes as they are now. Under fork a child has the class
    as it is when the child starts, attributes the parent set since the last start included."""
    _class_bytes.clear()


def _reduce_class(cls: type) -> tuple[Any, ...]:
    data = _class_bytes.get(cls)
    if data is None:
        try:
            data = _dump_by_value(cls)
        except Exception:
            left_out = _unpicklable_attributes(cls)
            if not left_out:
                raise
            data = _dump_by_value(cls, left_out)
        _class_bytes[cls] = data
    return (_load, (data,))


def _dump_by_value(obj: Any, left_out: dict[type, set[str]] | None = None) -> bytes:
    """``obj`` pickled by :func:`_class_pickler`'s pickler; ``left_out``: class -> names of
    its attributes to leave out of its copy."""
    buffer = io.BytesIO()
    _class_pickler()(buffer, left_out or {}).dump(obj)
    return buffer.getvalue()


def _unpicklable_attributes(cls: type) -> dict[type, set[str]]:
    """The attributes of ``cls`` and of its bases that travel by value which cannot be
    pickled: left out of the copy, each warned about once.

    Under fork a child has the class as the parent has it; a copy can hold only what
    pickles. An attribute the parent gave the class at run time that cannot be pickled (a
    generator, a socket; on 3.13 the live threads a test case's ``setUpClass`` keeps) is
    missing from the child's copy, as such a global is missing from its namespace."""
    left_out: dict[type, set[str]] = {}
    for klass in cls.__mro__:
        if klass is object or _by_reference(klass):
            continue
        for name, value in vars(klass).items():
            if name in _CLASS_MACHINERY:
                continue
            try:
                _dump_by_value(value)
            except Exception as error:
                left_out.setdefault(klass, set()).add(name)
                warn_once(
                    f"{klass.__module__}.{klass.__qualname__}.{name}",
                    f"class attribute {klass.__qualname__}.{name} is not copied into child "
                    f"processes: {type(value).__name__} objects cannot be pickled ({error}); "
                    "reading it there raises AttributeError",
                )
    return left_out


#: What cloudpickle rebuilds a class from itself, never pickled as a value.
_CLASS_MACHINERY = frozenset({"__dict__", "__weakref__", "__module__", "__qualname__"})


_ClassPickler: Any = None


def _class_pickler() -> Any:
    """cloudpickle's pickler, told what a child finds by name.

    cloudpickle pickles everything of the main module by value: a class's base or a
    function its methods read, replayed in the child, would travel as a copy, and with it
    every global its methods read, down to what cannot be pickled (a ``ctypes.Structure``,
    a started manager). Here what the child's replay makes travels by reference, and a
    function by :func:`_reduce_function` (bound to the child's live globals, as the
    functions outside the class are).
    """
    global _ClassPickler
    if _ClassPickler is None:
        from procrun.imports import import_unshadowed

        cloudpickle = import_unshadowed("cloudpickle")
        from procrun.globals_transfer import fork_copy, queue_types

        class ClassPickler(cloudpickle.Pickler):  # type: ignore[name-defined]
            def __init__(self, file: io.BytesIO, left_out: dict[type, set[str]]) -> None:
                super().__init__(file, protocol=pickle.DEFAULT_PROTOCOL)
                #: class -> names of its attributes the copy leaves out
                self.left_out = left_out
                self.queues = queue_types()

            def reducer_override(self, obj: Any) -> Any:
                if isinstance(obj, type) and not _by_reference(obj):
                    reduced = super().reducer_override(obj)
                    names = self.left_out.get(obj)
                    if names and isinstance(reduced, tuple) and len(reduced) > 2:
                        reduced = _without_attributes(reduced, names)
                    return reduced
                # A class attribute that is a thread-only lock, queue or event arrives as
                # fork copies it, as a global does.
                copy = fork_copy(obj, self.queues)
                if copy is not None:
                    return copy
                return reducer_override(self, obj)

        _ClassPickler = ClassPickler
    return _ClassPickler


def _without_attributes(reduced: tuple[Any, ...], names: set[str]) -> tuple[Any, ...]:
    """cloudpickle's reduction of a class, its state's class dict without ``names``."""
    state = reduced[2]
    if isinstance(state, tuple) and state and isinstance(state[0], dict):
        attributes = {k: v for k, v in state[0].items() if k not in names}
        return (*reduced[:2], (attributes, *state[1:]), *reduced[3:])
    return reduced


def _load(data: bytes) -> Any:
    from procrun.imports import import_unshadowed

    # cloudpickle's bytes name its helpers (cloudpickle.cloudpickle...), which pickle would
    # import from the child's sys.path, where a cloudpickle.py beside the script comes first.
    import_unshadowed("cloudpickle")
    return pickle.loads(data)
