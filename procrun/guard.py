"""Split a module's top level into definitions and actions, and guard the actions.

A *definition* (imports, ``def``, ``class``, inert assignments, process set-up calls) is
replayed in every child process; an *action* (everything else) runs once, in the parent.
Each maximal run of actions is wrapped in ``if __name__ == "__main__":`` so that one code
object serves both: the parent executes it as ``__main__`` (everything, in order), a
child as ``__mp_main__`` (definitions only).

This module is the one classification that the launcher, the freezer and ``procrun fix``
share. It uses only the standard library: children import it.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Iterable, Iterator
from types import CodeType

#: Calls whose result is a definition when their arguments are inert (qualified names); so
#: are those of LOGGING_OBJECTS.
DEFINITION_FACTORIES = frozenset(
    {
        "collections.namedtuple",
        "collections.OrderedDict",
        "collections.defaultdict",
        "collections.deque",
        "collections.Counter",
        "collections.ChainMap",
        "typing.NamedTuple",
        "typing.TypeVar",
        "typing.NewType",
        "typing.TypedDict",
        "typing.ParamSpec",
        "typing.TypeVarTuple",
        "typing.cast",
        "typing_extensions.NamedTuple",
        "typing_extensions.TypeVar",
        "typing_extensions.NewType",
        "typing_extensions.TypedDict",
        "typing_extensions.ParamSpec",
        "enum.Enum",
        "enum.IntEnum",
        "enum.Flag",
        "enum.IntFlag",
        "enum.StrEnum",
        "enum.auto",
        "dataclasses.make_dataclass",
        "dataclasses.field",
        "re.compile",
        "struct.Struct",
        "logging.getLogger",
        "logging.Formatter",
        "logging.Filter",
        "functools.partial",
        "operator.itemgetter",
        "operator.attrgetter",
        "operator.methodcaller",
        "pathlib.Path",
        "pathlib.PurePath",
        "pathlib.PosixPath",
        "pathlib.PurePosixPath",
        "pathlib.WindowsPath",
        "pathlib.PureWindowsPath",
        "os.path.join",
        "os.path.dirname",
        "os.path.basename",
        "os.path.abspath",
        "os.path.realpath",
        "os.path.normpath",
        "os.path.expanduser",
        "os.path.expandvars",
        "os.path.splitext",
        "os.path.split",
        "os.getenv",
        "os.environ.get",
        "os.fspath",
        "os.cpu_count",
        "multiprocessing.cpu_count",
        "decimal.Decimal",
        "fractions.Fraction",
        "datetime.date",
        "datetime.datetime",
        "datetime.time",
        "datetime.timedelta",
        "datetime.timezone",
        "string.Template",
        "textwrap.dedent",
        "types.SimpleNamespace",
        "types.MappingProxyType",
        "sys.intern",
        "threading.local",
        "threading.Lock",
        "threading.RLock",
        # Wraps its lock and holds no state a module-level statement could give it: made
        # anew in the child, it wraps the child's own lock, as under fork.
        "threading.Condition",
    }
)

#: Builtins that build values from their arguments and have no side effect.
BUILTIN_FACTORIES = frozenset(
    {
        "int", "float", "complex", "str", "bytes", "bytearray", "bool", "tuple", "list",
        "dict", "set", "frozenset", "range", "slice", "object", "len", "min", "max", "sum",
        "abs", "round", "sorted", "reversed", "enumerate", "zip", "chr", "ord", "hex", "oct",
        "bin", "repr", "format", "divmod", "pow", "any", "all", "isinstance", "issubclass",
        "property", "staticmethod", "classmethod",
    }
)  # fmt: skip

#: Calls a fresh child needs to repeat to be set up as a forked one would be.
PROCESS_SETUP_CALLS = frozenset(
    {
        "logging.basicConfig",
        "logging.captureWarnings",
        "logging.disable",
        "logging.config.dictConfig",
        "logging.config.fileConfig",
        "warnings.filterwarnings",
        "warnings.simplefilter",
        "warnings.resetwarnings",
        "sys.setrecursionlimit",
        "sys.setswitchinterval",
        "faulthandler.enable",
        "locale.setlocale",
        "socket.setdefaulttimeout",
        "matplotlib.use",
        "matplotlib.rcParams.update",
        "numpy.set_printoptions",
        "numpy.seterr",
        "decimal.getcontext",
        # Methods of logging objects (LOGGING_OBJECTS names what a receiver is).
        "logging.Logger.setLevel",
        "logging.Logger.addHandler",
        "logging.Logger.addFilter",
        "logging.Handler.setLevel",
        "logging.Handler.setFormatter",
        "logging.Handler.addFilter",
    }
)

#: Attributes whose assignment is a process set-up call (``log.propagate = False``).
PROCESS_SETUP_ATTRIBUTES = frozenset({"logging.Logger.propagate", "logging.Logger.disabled"})

#: Definition factories of logging objects, and the kind of object each makes: a method
#: called on one (or on one in LOGGING_MODULE_OBJECTS) is qualified by its kind, so that
#: PROCESS_SETUP_CALLS can list it (after ``handler = logging.StreamHandler()``,
#: ``handler.setFormatter(f)`` is ``logging.Handler.setFormatter``). A logger pickles by name
#: and a handler not at all, so a copy cannot carry their set-up into a child: replaying the
#: calls that made and set them up does, as fork would have them, unless they read what an
#: action made. The handlers are listed here only, not in DEFINITION_FACTORIES: making one
#: reads the process's state (working directory, ``sys.stderr``) and may open a file, and
#: ``procrun fix`` lets a call to a DEFINITION_FACTORIES entry run before earlier actions.
LOGGING_OBJECTS = {
    "logging.getLogger": "logging.Logger",
    "logging.StreamHandler": "logging.Handler",
    "logging.FileHandler": "logging.Handler",
    "logging.NullHandler": "logging.Handler",
    "logging.handlers.RotatingFileHandler": "logging.Handler",
    "logging.handlers.TimedRotatingFileHandler": "logging.Handler",
    "logging.handlers.WatchedFileHandler": "logging.Handler",
    "logging.handlers.QueueHandler": "logging.Handler",
    "logging.Formatter": "logging.Formatter",
    "logging.Filter": "logging.Filter",
}

#: Module attributes that hold a logging object, and its kind.
LOGGING_MODULE_OBJECTS = {"logging.root": "logging.Logger"}

#: Definitions and set-up calls that open a log file, with the position and keyword of the
#: mode they open it in (``TimedRotatingFileHandler`` has none: it always appends). Under
#: fork a child writes to the file its parent opened; a replaying child opens the file
#: itself, and appending to it is the nearest equivalent. Any other mode (``"w"`` would empty
#: the parent's log in every child) keeps the call an action: the child then lacks that
#: handler, or the whole ``basicConfig``.
FILE_MODES: dict[str, tuple[int | None, str]] = {
    "logging.FileHandler": (1, "mode"),
    "logging.handlers.RotatingFileHandler": (1, "mode"),
    "logging.handlers.WatchedFileHandler": (1, "mode"),
    "logging.basicConfig": (None, "filemode"),
}

#: Calls whose ``__name__`` argument names one of the script's loggers (see
#: :meth:`Split.guarded`).
LOGGER_NAMERS = frozenset({"logging.getLogger", "logging.Filter"})

#: Context managers whose ``with`` block is a definition when its body is.
INERT_CONTEXTS = frozenset({"contextlib.suppress", "warnings.catch_warnings"})

#: State that a spawned child gets from its parent as the parent has it when the child starts
#: (spawn's preparation data carries ``sys.path`` and ``sys.argv``; a child inherits the
#: environment): an action that changes it in place (``sys.path.insert(0, here)``,
#: ``os.environ.setdefault(k, v)``) leaves ``sys`` and ``os`` as replayable as before.
INHERITED_STATE = frozenset({"sys.path", "sys.argv", "os.environ"})

#: Method names taken to mutate the object they are called on.
MUTATING_METHODS = frozenset(
    {
        "append", "extend", "insert", "pop", "popitem", "remove", "clear", "update",
        "setdefault", "add", "discard", "sort", "reverse", "appendleft", "extendleft",
        "difference_update", "intersection_update", "symmetric_difference_update",
        "rotate", "register", "write", "writelines", "seek", "truncate",
    }
)  # fmt: skip

_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


class Split:
    """The classification of one module: which top-level statements are definitions."""

    def __init__(
        self,
        tree: ast.Module,
        is_definition: list[bool],
        defined: set[str],
        touched_by_actions: set[str],
        changed_by_functions: set[str] | None = None,
        logger_name_reads: frozenset[tuple[int, int]] = frozenset(),
    ) -> None:
        self.tree = tree
        self.is_definition = is_definition
        #: names bound by definitions (children produce them by replay)
        self.defined = defined
        #: names bound or mutated by actions (children get them only by copy)
        self.touched_by_actions = touched_by_actions
        self._changed_by_functions = changed_by_functions
        #: (line, column) of each ``__name__`` that names a logger (:meth:`guarded`)
        self.logger_name_reads = logger_name_reads
        self._replayed: frozenset[str] | None = None

    @property
    def changed_by_functions(self) -> set[str]:
        """Module globals that some function rebinds or mutates (when something calls it)."""
        if self._changed_by_functions is None:
            self._changed_by_functions = _globals_changed_by_functions(self.tree)
        return self._changed_by_functions

    @property
    def replayed(self) -> frozenset[str]:
        """Names whose value a child gets by replaying definitions, as the parent has it."""
        if self._replayed is None:
            changed = self.touched_by_actions | self.changed_by_functions
            self._replayed = frozenset(self.defined - changed)
        return self._replayed

    def guarded(self) -> ast.Module:
        """The module with each maximal run of actions inside ``if __name__ == "__main__":``.

        A child runs it as ``__mp_main__``, as python's own spawn child does, so that the
        script's ``if __name__ == "__main__":`` keeps its meaning. A logger named by
        ``__name__`` is the exception: under fork a child's loggers are the parent's, named
        ``__main__``, and so is a logger copied into a child (a logger pickles by name). So
        in ``logging.getLogger(__name__)`` and ``logging.Filter(__name__)``, at top level or
        in a function, ``__name__`` reads ``"__main__"`` in a child too; else a child would
        set up one logger by replay, log through another, and print ``__mp_main__`` for
        ``%(name)s``.
        """
        body: list[ast.stmt] = []
        run: list[ast.stmt] = []
        for stmt, definition in zip(self.tree.body, self.is_definition, strict=True):
            stmt = self._naming_main_loggers(stmt)
            if definition:
                if run:
                    body.append(_main_guard(run))
                    run = []
                body.append(stmt)
            else:
                run.append(stmt)
        if run:
            body.append(_main_guard(run))
        return ast.Module(body=body, type_ignores=self.tree.type_ignores)

    def _naming_main_loggers(self, stmt: ast.stmt) -> ast.stmt:
        """``stmt``, or a copy (the tree stays as parsed) in which each ``__name__`` that
        names a logger reads ``"__main__"`` in a child."""
        last = stmt.end_lineno or stmt.lineno
        if not any(stmt.lineno <= line <= last for line, _ in self.logger_name_reads):
            return stmt
        return _MainLoggerNames(self.logger_name_reads).visit(copy.deepcopy(stmt))


class _MainLoggerNames(ast.NodeTransformer):
    """Replace ``__name__`` at the given places by ``("__main__" if __name__ ==
    "__mp_main__" else __name__)``: the parent's name in a child, itself elsewhere."""

    def __init__(self, places: frozenset[tuple[int, int]]) -> None:
        self.places = places

    def visit_Name(self, node: ast.Name) -> ast.expr:
        if (node.lineno, node.col_offset) not in self.places:
            return node
        in_a_child = ast.Compare(
            left=ast.Name(id="__name__", ctx=ast.Load()),
            ops=[ast.Eq()],
            comparators=[ast.Constant(value="__mp_main__")],
        )
        parent_name = ast.IfExp(
            test=in_a_child,
            body=ast.Constant(value="__main__"),
            orelse=ast.Name(id="__name__", ctx=ast.Load()),
        )
        for new in ast.walk(parent_name):
            ast.copy_location(new, node)
        return parent_name


def split_module(tree: ast.Module, source: bytes | str = b"") -> Split:
    """Classify each top-level statement of ``tree`` (``source`` is read for markers)."""
    return _Classifier(tree, source).run()


def compile_guarded(source: bytes | str, filename: str) -> tuple[CodeType, Split]:
    """Parse, split and compile ``source``; code objects carry ``filename`` and its lines.

    Raises ``SyntaxError`` as ``compile`` would for the original source.
    """
    tree = ast.parse(source, filename)
    split = split_module(tree, source)
    try:
        code = compile(split.guarded(), filename, "exec", dont_inherit=True)
    except SyntaxError as error:
        _fill_source_line(error, source)
        raise
    return code, split


def _fill_source_line(error: SyntaxError, source: bytes | str) -> None:
    # Errors found while compiling an AST (not while parsing) lack the source line, which
    # python's own report shows with a caret.
    if error.text is not None or not error.lineno:
        return
    text = source.decode("utf-8", "replace") if isinstance(source, bytes) else source
    lines = text.splitlines(keepends=True)
    if 0 < error.lineno <= len(lines):
        error.text = lines[error.lineno - 1]


def _main_guard(body: list[ast.stmt]) -> ast.If:
    test = ast.Compare(
        left=ast.Name(id="__name__", ctx=ast.Load()),
        ops=[ast.Eq()],
        comparators=[ast.Constant(value="__main__")],
    )
    guard = ast.If(test=test, body=body, orelse=[])
    ast.copy_location(guard, body[0])
    guard.end_lineno = body[-1].end_lineno
    guard.end_col_offset = body[-1].end_col_offset
    for node in ast.walk(test):
        ast.copy_location(node, body[0])
    return guard


class _Classifier:
    def __init__(self, tree: ast.Module, source: bytes | str) -> None:
        self.tree = tree
        raw = source.encode("utf-8", "surrogateescape") if isinstance(source, str) else source
        self.lines = raw.splitlines() if b"procrun:" in raw else []
        self.names_loggers = b"logging" in raw and b"__name__" in raw
        self.aliases: dict[str, str] = {}
        #: names bound by replayed definitions to a logging object (LOGGING_OBJECTS)
        self.objects: dict[str, str] = {}
        self.action_bound: set[str] = set()
        self.defined: set[str] = set()
        self.touched: set[str] = set()
        #: whether an action came before the statement being classified
        self.after_an_action = False
        self.lazy_annotations = any(
            isinstance(s, ast.ImportFrom)
            and s.module == "__future__"
            and any(a.name == "annotations" for a in s.names)
            for s in tree.body
        )
        # Walking every function costs more than the rest of the split: only done once an
        # action makes it matter (a module of definitions only never pays it).
        self.changed_by_functions: set[str] | None = None

    def run(self) -> Split:
        flags = []
        replayed_before_an_action: set[str] = set()
        for stmt in self.tree.body:
            marker = self._marker(stmt)
            known_aliases = dict(self.aliases)
            known_objects = dict(self.objects)
            definition = marker == "replay" or (marker is None and self.is_definition(stmt))
            bound = set(bindings(stmt))
            if definition and marker is None and _assigned_names(stmt) & replayed_before_an_action:
                # A new value, after something ran (a child may have started), for a name
                # that children replay: each child must see the value of when it starts, as
                # fork gives it, so the name travels by copy instead of by this replay. The
                # same holds for an assignment inside a replayed if/try/with.
                definition = False
            if not definition:
                replayed_before_an_action = set(self.defined)
                self.after_an_action = True
            if definition:
                self._learn_imports(stmt)
                self._learn_objects(stmt)
                self.defined |= bound
                self.action_bound -= bound
            else:
                # What a block that turned out an action imports is no alias for later code,
                # nor what it binds a logging object.
                self.aliases = known_aliases
                self.objects = {k: v for k, v in known_objects.items() if k not in bound}
                changed = bound | set(_changed_roots(_walk_scope(stmt), self.aliases))
                if _star_imports(stmt):
                    # What ``from m import *`` binds is known only once it runs: a later
                    # definition reading a name nothing in the module binds (not a
                    # builtin) may read one of them, and a child replaying it would not
                    # have it. Such names are taken as the action's, so that what reads
                    # them runs once, and travels by copy.
                    changed |= _names_of_unknown_origin(self.tree)
                self.touched |= changed
                # An action may call any function, so from here on what functions rebind or
                # mutate may differ from its replayed value: a definition (say, an if test)
                # reading such a name is evaluated on the parent's value, by copy.
                if self.changed_by_functions is None:
                    self.changed_by_functions = _globals_changed_by_functions(self.tree)
                self.action_bound |= changed | self.changed_by_functions
            flags.append(definition)
        return Split(
            self.tree,
            flags,
            self.defined,
            self.touched,
            self.changed_by_functions,
            self._logger_name_reads(),
        )

    def _marker(self, stmt: ast.stmt) -> str | None:
        """``replay`` or ``once`` from a ``# procrun: ...`` comment on the statement's lines."""
        if not self.lines:
            return None
        end = stmt.end_lineno or stmt.lineno
        for number in {stmt.lineno, end}:
            if 0 < number <= len(self.lines):
                line = self.lines[number - 1]
                _, hash_, comment = line.partition(b"#")
                while hash_:
                    words = comment.replace(b":", b" : ").split()
                    if words[:3] in ([b"procrun", b":", b"replay"], [b"procrun", b":", b"once"]):
                        return words[2].decode()
                    _, hash_, comment = comment.partition(b"#")
        return None

    def _learn_imports(self, stmt: ast.stmt) -> None:
        # Module-level names only: an import inside a function or class body binds a local
        # (or a class attribute), and those bodies are most of a large module.
        for node in _walk_scope(stmt):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                self.aliases.update(imported_names(node))

    def _learn_objects(self, stmt: ast.stmt) -> None:
        """Note what a replayed simple statement binds to a logging object, and forget what
        it binds to anything else (the blocks of an if/try/with are learnt one by one)."""
        if isinstance(stmt, (ast.If, ast.Try, ast.With, getattr(ast, "TryStar", ast.Try))):
            return
        for name in bindings(stmt):
            self.objects.pop(name, None)
        if isinstance(stmt, ast.Assign):
            targets, value = stmt.targets, stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            targets, value = [stmt.target], stmt.value
        else:
            return
        if isinstance(value, ast.Call):
            kind = LOGGING_OBJECTS.get(self.qualified_name(value.func) or "")
            if kind is not None:
                self.objects.update((t.id, kind) for t in targets if isinstance(t, ast.Name))

    def _logger_name_reads(self) -> frozenset[tuple[int, int]]:
        """Where ``__name__`` names a logger: an argument of a call in LOGGER_NAMERS,
        anywhere in the module (see :meth:`Split.guarded`)."""
        if not self.names_loggers:
            return frozenset()
        aliases: dict[str, str] = {}
        calls: list[ast.Call] = []
        for node in walk(self.tree):
            if isinstance(node, ast.Call):
                calls.append(node)
            else:
                aliases.update(imported_names(node))
        return frozenset(
            (name.lineno, name.col_offset)
            for call in calls
            if _qualified_name(call.func, aliases) in LOGGER_NAMERS
            for argument in [*call.args, *(k.value for k in call.keywords)]
            for name in ast.walk(argument)
            if isinstance(name, ast.Name) and name.id == "__name__"
        )

    # -- statements ---------------------------------------------------------------------

    def is_definition(self, stmt: ast.stmt) -> bool:
        """True if children replay ``stmt`` (DESIGN, "What is a definition").

        An ``if`` with its ``elif``/``else`` chain is replayed, and its test evaluated by
        each child, when every block holds only definitions and every test is inert: a test
        that calls something other than a factory, or reads a name an action bound or may
        have changed (through a function it called), could take another branch in a child
        than in the parent, so the ``if`` runs once, in the parent, and what it binds
        travels by copy. A child reads ``__name__`` as ``"__mp_main__"``, as python's own
        spawn child does: ``if __name__ == "__main__":`` stays the guard, and its ``else``
        runs in children.

        Logging set up at top level is replayed, so that a child logs as a forked one:
        loggers, handlers, formatters and filters made by LOGGING_OBJECTS, and the set-up
        calls on them (``log.setLevel``, ``log.addHandler``, ``handler.setFormatter``,
        ``log.propagate = False``: PROCESS_SETUP_CALLS and PROCESS_SETUP_ATTRIBUTES), wherever
        they stand, as ``logging.basicConfig`` is. A call whose arguments read what an action
        made stays an action, and so does a handler that would open its file other than to
        append (FILE_MODES). A file handler given a relative path opens it in the working
        directory the child starts in, which is the parent's at that moment.
        """
        if isinstance(stmt, (ast.Import, ast.ImportFrom, ast.Pass, ast.Global)):
            return True
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return self._reads_no_action_names(_function_header(stmt, self.lazy_annotations))
        if isinstance(stmt, ast.ClassDef):
            return self._reads_no_action_names(_class_header(stmt, self.lazy_annotations))
        if isinstance(stmt, ast.Assign):
            if len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Attribute):
                setting = self.qualified_name(stmt.targets[0]) in PROCESS_SETUP_ATTRIBUTES
                return setting and self.is_inert(stmt.value)
            return all(_is_name_target(t) for t in stmt.targets) and self.is_inert(stmt.value)
        if isinstance(stmt, ast.AnnAssign):
            if not isinstance(stmt.target, ast.Name):
                return False
            if not self.lazy_annotations and not self._reads_no_action_names([stmt.annotation]):
                return False
            return stmt.value is None or self.is_inert(stmt.value)
        if isinstance(stmt, ast.Expr):
            value = stmt.value
            if isinstance(value, ast.Constant):
                return True
            return (
                isinstance(value, ast.Call)
                and self.qualified_name(value.func) in PROCESS_SETUP_CALLS
                and self._inert_arguments(value)
                and not self._overwrites_a_file(value)
            )
        if isinstance(stmt, ast.If):
            return self.is_inert(stmt.test) and self._all_definitions(stmt.body + stmt.orelse)
        if isinstance(stmt, (ast.Try, getattr(ast, "TryStar", ast.Try))):
            handlers = stmt.handlers  # type: ignore[attr-defined]
            blocks = stmt.body + stmt.orelse + stmt.finalbody  # type: ignore[attr-defined]
            blocks += [s for h in handlers for s in h.body]
            types = [h.type for h in handlers if h.type is not None]
            return all(self.is_inert(t) for t in types) and self._all_definitions(blocks)
        if isinstance(stmt, ast.With):
            return all(
                isinstance(item.context_expr, ast.Call)
                and self.qualified_name(item.context_expr.func) in INERT_CONTEXTS
                and self._inert_arguments(item.context_expr)
                and item.optional_vars is None
                for item in stmt.items
            ) and self._all_definitions(stmt.body)
        if isinstance(stmt, ast.Assert):
            return self.is_inert(stmt.test) and (stmt.msg is None or self.is_inert(stmt.msg))
        if isinstance(stmt, ast.Raise) and not self.after_an_action:
            # ``else: raise ValueError(...)`` after the branches that import: a child
            # replaying the same inert tests takes the branch the parent took, which did not
            # raise, since a parent that raised there ended before anything could start a
            # child. After an action it may have started one, and raised since.
            parts = [p for p in (stmt.exc, stmt.cause) if p is not None]
            return all(self.is_inert(p) or self._is_exception(p) for p in parts)
        type_alias = getattr(ast, "TypeAlias", None)
        return type_alias is not None and isinstance(stmt, type_alias)

    def _is_exception(self, node: ast.expr) -> bool:
        """True for ``Error(inert arguments)``, ``Error`` a builtin exception or a class
        the module defines (the call runs only where the parent's run raised too)."""
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            return False
        name = node.func.id
        if name in self.action_bound or not self._inert_arguments(node):
            return False
        if name in self.defined:
            return True
        import builtins

        value = getattr(builtins, name, None)
        return isinstance(value, type) and issubclass(value, BaseException)

    def _all_definitions(self, body: list[ast.stmt]) -> bool:
        for stmt in body:
            if not self.is_definition(stmt):
                return False
            # Later statements of the block may use what it imports or sets up.
            self._learn_imports(stmt)
            self._learn_objects(stmt)
        return True

    def _reads_no_action_names(self, nodes: Iterable[ast.AST | None]) -> bool:
        return not any(
            isinstance(n, ast.Name) and n.id in self.action_bound
            for node in nodes
            if node is not None
            for n in _walk_evaluated(node)
        )

    # -- expressions --------------------------------------------------------------------

    def is_inert(self, node: ast.expr, local: frozenset[str] = frozenset()) -> bool:
        """True if evaluating ``node`` has no effect beyond building a value."""
        inert = self.is_inert
        if isinstance(node, ast.Constant):
            return True
        if isinstance(node, ast.Name):
            return node.id in local or node.id not in self.action_bound
        if isinstance(node, (ast.Attribute, ast.Starred)):
            return inert(node.value, local)
        if isinstance(node, ast.Subscript):
            return inert(node.value, local) and inert(node.slice, local)
        if isinstance(node, ast.Slice):
            parts = (node.lower, node.upper, node.step)
            return all(p is None or inert(p, local) for p in parts)
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            return all(inert(e, local) for e in node.elts)
        if isinstance(node, ast.Dict):
            keys = [k for k in node.keys if k is not None]
            return all(inert(e, local) for e in keys + node.values)
        if isinstance(node, ast.BinOp):
            return inert(node.left, local) and inert(node.right, local)
        if isinstance(node, ast.UnaryOp):
            return inert(node.operand, local)
        if isinstance(node, ast.BoolOp):
            return all(inert(v, local) for v in node.values)
        if isinstance(node, ast.Compare):
            return inert(node.left, local) and all(inert(c, local) for c in node.comparators)
        if isinstance(node, ast.IfExp):
            return all(inert(n, local) for n in (node.test, node.body, node.orelse))
        if isinstance(node, ast.JoinedStr):
            return all(inert(v, local) for v in node.values)
        if isinstance(node, ast.FormattedValue):
            return inert(node.value, local) and (
                node.format_spec is None or inert(node.format_spec, local)
            )
        if isinstance(node, ast.Lambda):
            defaults = [d for d in node.args.defaults + node.args.kw_defaults if d is not None]
            return all(inert(d, local) for d in defaults)
        if isinstance(node, _COMPREHENSIONS):
            return self._inert_comprehension(node, local)
        if isinstance(node, ast.Call):
            return (
                self._is_factory(node.func, local)
                and self._inert_arguments(node, local)
                and not self._overwrites_a_file(node)
            )
        return False

    def _inert_comprehension(self, node: ast.expr, local: frozenset[str]) -> bool:
        assert isinstance(node, _COMPREHENSIONS)
        for generator in node.generators:
            if generator.is_async or not self.is_inert(generator.iter, local):
                return False
            local = local | {n.id for n in ast.walk(generator.target) if isinstance(n, ast.Name)}
            if not all(self.is_inert(test, local) for test in generator.ifs):
                return False
        if isinstance(node, ast.DictComp):
            return self.is_inert(node.key, local) and self.is_inert(node.value, local)
        return self.is_inert(node.elt, local)

    def _inert_arguments(self, call: ast.Call, local: frozenset[str] = frozenset()) -> bool:
        return all(self.is_inert(a, local) for a in call.args) and all(
            self.is_inert(k.value, local) for k in call.keywords
        )

    def _overwrites_a_file(self, call: ast.Call) -> bool:
        """True if ``call`` opens a log file (FILE_MODES) in a mode other than append, or
        one not known here (a name, ``**options``)."""
        opener = self.qualified_name(call.func)
        if opener not in FILE_MODES:
            return False
        if any(isinstance(a, ast.Starred) for a in call.args) or any(
            k.arg is None for k in call.keywords
        ):
            return True
        position, keyword = FILE_MODES[opener]
        mode = next((k.value for k in call.keywords if k.arg == keyword), None)
        if position is not None and len(call.args) > position:
            mode = call.args[position]
        if mode is None:
            return False
        if isinstance(mode, ast.Constant) and isinstance(mode.value, str):
            return not mode.value.startswith("a")
        return True

    def _is_factory(self, func: ast.expr, local: frozenset[str]) -> bool:
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Constant):
            return isinstance(func.value.value, (str, bytes))  # "-".join(...)
        if isinstance(func, ast.Name) and func.id not in self.aliases:
            shadowed = func.id in self.defined or func.id in self.action_bound
            return func.id in BUILTIN_FACTORIES and not shadowed and func.id not in local
        qualified = self.qualified_name(func)
        return qualified in DEFINITION_FACTORIES or qualified in LOGGING_OBJECTS

    def qualified_name(self, node: ast.expr) -> str | None:
        """``np.random.seed`` -> ``numpy.random.seed``, through the module's imports; a
        method or attribute of a logging object by its kind (LOGGING_OBJECTS):
        ``handler.setFormatter`` -> ``logging.Handler.setFormatter``."""
        if isinstance(node, ast.Attribute):
            kind = self._logging_object(node.value)
            if kind is not None:
                return f"{kind}.{node.attr}"
        return _qualified_name(node, self.aliases)

    def _logging_object(self, node: ast.expr) -> str | None:
        """The kind of logging object ``node`` is, if a child replays it: a name a
        definition bound to one (and nothing bound to anything else since), a factory's
        result (``logging.getLogger("app")``), or ``logging.root``.

        What an action did to the object (``log.setLevel(args.level)``) a child misses,
        but each later set-up call on it sets what it sets whatever came before, so a
        child replaying it comes nearer to what fork gives, never further.
        """
        if isinstance(node, ast.Name):
            return self.objects.get(node.id)
        if isinstance(node, ast.Call):
            kind = LOGGING_OBJECTS.get(self.qualified_name(node.func) or "")
            return kind if kind is not None and self.is_inert(node) else None
        qualified = _qualified_name(node, self.aliases)
        return None if qualified is None else LOGGING_MODULE_OBJECTS.get(qualified)


def _qualified_name(node: ast.expr, aliases: dict[str, str]) -> str | None:
    if isinstance(node, ast.Name):
        return aliases.get(node.id)
    if isinstance(node, ast.Attribute):
        base = _qualified_name(node.value, aliases)
        return None if base is None else f"{base}.{node.attr}"
    return None


def imported_names(node: ast.AST) -> Iterator[tuple[str, str]]:
    """``(local name, qualified name)`` for each name an import statement binds.

    ``import a.b`` binds ``a``; ``import a.b as c``, ``c`` for ``a.b``; ``from a import b as
    c``, ``c`` for ``a.b``. Relative imports and ``*`` bind nothing known here.
    """
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                yield alias.asname, alias.name
            else:
                top = alias.name.split(".")[0]
                yield top, top
    elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
        for alias in node.names:
            if alias.name != "*":
                yield alias.asname or alias.name, f"{node.module}.{alias.name}"


def _star_imports(stmt: ast.stmt) -> bool:
    """True if ``stmt`` (or a block of it) runs a ``from module import *``."""
    return any(
        isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names)
        for node in _walk_scope(stmt)
    )


def _names_of_unknown_origin(tree: ast.Module) -> set[str]:
    """Names the module's top level reads that no statement of it binds, nor builtins."""
    import builtins

    bound = {name for stmt in tree.body for name in bindings(stmt)}
    return {
        node.id
        for stmt in tree.body
        for node in _walk_scope(stmt)
        if isinstance(node, ast.Name)
        and isinstance(node.ctx, ast.Load)
        and node.id not in bound
        and not hasattr(builtins, node.id)
    }


def _is_name_target(target: ast.expr) -> bool:
    if isinstance(target, ast.Name):
        return True
    if isinstance(target, ast.Starred):
        return _is_name_target(target.value)
    if isinstance(target, (ast.Tuple, ast.List)):
        return all(_is_name_target(e) for e in target.elts)
    return False


def _function_header(
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda, lazy_annotations: bool
) -> list[ast.AST | None]:
    """The parts of a ``def`` that are evaluated when the ``def`` statement runs."""
    args = node.args
    parts: list[ast.AST | None] = [*args.defaults, *args.kw_defaults]
    if isinstance(node, ast.Lambda):
        return parts
    parts += node.decorator_list
    if not lazy_annotations:
        every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
        parts += [a.annotation for a in every if a is not None]
        parts.append(node.returns)
    return parts


def _class_header(node: ast.ClassDef, lazy_annotations: bool) -> list[ast.AST | None]:
    """The parts of a ``class`` that are evaluated when the ``class`` statement runs."""
    parts: list[ast.AST | None] = [*node.decorator_list, *node.bases]
    parts += [k.value for k in node.keywords]
    for stmt in node.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            parts += _function_header(stmt, lazy_annotations)
        elif isinstance(stmt, ast.ClassDef):
            parts += _class_header(stmt, lazy_annotations)
        elif isinstance(stmt, ast.AnnAssign) and lazy_annotations:
            parts.append(stmt.value)
        else:
            parts.append(stmt)
    return parts


def _walk_evaluated(node: ast.AST) -> Iterator[ast.AST]:
    """Like ``ast.walk``, but does not enter function or lambda bodies (evaluated later)."""
    todo = [node]
    while todo:
        current = todo.pop()
        yield current
        if isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            todo.extend(n for n in _function_header(current, False) if n is not None)
        elif isinstance(current, ast.ClassDef):
            todo.extend(n for n in _class_header(current, False) if n is not None)
        else:
            todo.extend(children(current))


def bindings(stmt: ast.stmt) -> Iterator[str]:
    """Names that ``stmt`` binds in the scope it runs in (not inside nested scopes)."""
    return _bound_names(_walk_scope(stmt))


def _bound_names(walked: Iterable[ast.AST]) -> Iterator[str]:
    """:func:`bindings` of what :func:`_walk_scope` yielded."""
    for node in walked:
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            yield node.id
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield node.name
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name != "*":
                    yield alias.asname or alias.name.split(".")[0]
        elif isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)) and node.name:
            yield node.name
        elif isinstance(node, ast.MatchMapping) and node.rest:
            yield node.rest


def mutated_roots(node: ast.AST) -> Iterator[str]:
    """Names whose object ``node`` changes: ``x[k] = v``, ``x.a = v``, ``x.append(v)``."""
    for changed in _changed_objects(_walk_scope(node)):
        root = _root_name(changed)
        if root is not None:
            yield root


def _changed_roots(walked: Iterable[ast.AST], aliases: dict[str, str]) -> Iterator[str]:
    """:func:`mutated_roots` of what :func:`_walk_scope` yielded, less changes to what every
    child inherits anyway (INHERITED_STATE)."""
    for changed in _changed_objects(walked):
        inner = changed
        while isinstance(inner, ast.Subscript):
            inner = inner.value
        root = _root_name(changed)
        if root is not None and _qualified_name(inner, aliases) not in INHERITED_STATE:
            yield root


def _changed_objects(walked: Iterable[ast.AST]) -> Iterator[ast.expr]:
    """What walked nodes change in place: ``x[k]`` of ``x[k] = v``, ``x`` of ``x.append(v)``."""
    for child in walked:
        if isinstance(child, (ast.Attribute, ast.Subscript)) and isinstance(
            child.ctx, (ast.Store, ast.Del)
        ):
            yield child
        elif (
            isinstance(child, ast.Call)
            and isinstance(child.func, ast.Attribute)
            and (child.func.attr in MUTATING_METHODS or child.func.attr.startswith("set"))
        ):
            yield child.func.value
        elif isinstance(child, ast.AugAssign):
            yield child.target


def _assigned_names(stmt: ast.stmt) -> set[str]:
    """Names that assignments in ``stmt`` (or in the blocks of an if/try/with) give a value."""
    return {
        node.id
        for node in _walk_scope(stmt)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
    }


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


#: Fields that never hold a node worth visiting: expression contexts and operators (a
#: ``Load()`` under every name), and the plain values (names, numbers, flags).
_LEAF_FIELDS = frozenset(
    {"ctx", "op", "ops", "id", "attr", "arg", "name", "module", "level", "kind", "n", "s",
     "type_comment", "conversion", "is_async", "simple", "asname"}
)  # fmt: skip
_child_fields: dict[type, tuple[str, ...]] = {}


def children(node: ast.AST) -> list[ast.AST]:
    """``ast.iter_child_nodes``, less what cannot matter to a walk here (contexts,
    operators, plain values): about half the calls, on a large module."""
    kind = type(node)
    fields = _child_fields.get(kind)
    if fields is None:
        fields = _child_fields[kind] = tuple(f for f in kind._fields if f not in _LEAF_FIELDS)
    found: list[ast.AST] = []
    for field in fields:
        value = getattr(node, field, None)
        if isinstance(value, list):
            found.extend(item for item in value if isinstance(item, ast.AST))
        elif isinstance(value, ast.AST):
            found.append(value)
    return found


def walk(node: ast.AST) -> Iterator[ast.AST]:
    """``ast.walk`` through :func:`children` (the order differs; no caller relies on it)."""
    todo = [node]
    while todo:
        current = todo.pop()
        yield current
        todo.extend(children(current))


def _walk_scope(node: ast.AST) -> Iterator[ast.AST]:
    """Nodes of ``node`` evaluated in its own scope: function, class, lambda and
    comprehension bodies are skipped (their headers, evaluated here, are kept)."""
    todo = [node]
    while todo:
        current = todo.pop()
        yield current
        if isinstance(current, ast.ClassDef):
            todo.extend([*current.decorator_list, *current.bases])
            todo.extend(k.value for k in current.keywords)
        elif isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            todo.extend(n for n in _function_header(current, True) if n is not None)
        elif isinstance(current, _COMPREHENSIONS):
            # Only the first iterable is evaluated in the enclosing scope.
            todo.append(current.generators[0].iter)
        else:
            todo.extend(children(current))


_Function = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda


def _nested_functions(nodes: Iterable[ast.AST]) -> Iterator[_Function]:
    """Functions and lambdas defined in the scope of ``nodes`` or of classes defined there."""
    return _functions_among(child for root in nodes for child in _walk_scope(root))


def _functions_among(walked: Iterable[ast.AST]) -> Iterator[_Function]:
    """:func:`_nested_functions` of what :func:`_walk_scope` yielded."""
    for child in walked:
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            yield child
        elif isinstance(child, ast.ClassDef):
            yield from _nested_functions(child.body)
        elif isinstance(child, _COMPREHENSIONS):
            yield from (n for n in walk(child) if isinstance(n, ast.Lambda))


def _globals_changed_by_functions(tree: ast.Module) -> set[str]:
    """Module globals that some function rebinds (``global x``) or mutates in place (what
    every child inherits aside: ``sys.path``, ``os.environ``)."""
    aliases = {
        local: qualified
        for stmt in tree.body
        for node in _walk_scope(stmt)
        for local, qualified in imported_names(node)
    }
    changed: set[str] = set()

    def visit(function: _Function, enclosing_locals: frozenset[str]) -> None:
        body: list[ast.AST] = (
            [function.body] if isinstance(function, ast.Lambda) else list(function.body)
        )
        walked = [node for part in body for node in _walk_scope(part)]  # one walk serves all
        args = function.args
        every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
        local = set(enclosing_locals) | {a.arg for a in every if a is not None}
        declared_global = {
            name for node in walked if isinstance(node, ast.Global) for name in node.names
        }
        if not isinstance(function, ast.Lambda):
            local.update(_bound_names(walked))
        local -= declared_global
        changed.update(declared_global)
        changed.update(name for name in _changed_roots(walked, aliases) if name not in local)
        for nested in _functions_among(walked):
            visit(nested, frozenset(local))

    for function in _nested_functions(tree.body):
        visit(function, frozenset())
    return changed
