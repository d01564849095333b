"""The checker's core: source text in, findings out. No terminal, no files, no options.

One parse per file and one walk over the tree, pyflakes-style: the walk keeps what each name
holds (a process, a pool, a queue, a threading lock, ...) per scope, reports what it can
judge on the spot, and records ordered events (starts, joins, gets, puts, global changes)
that the order-dependent rules read when the walk is done. Function bodies are walked after
the scope that defines them, as pyflakes does, so they see every module-level name.

Which top-level statements run at import time is the launcher's own classification
(:func:`procrun.guard.split_module`): one definition of "definition", shared.

Example::

    >>> [f.code for f in check_source("import multiprocessing as mp\\nmp.Pool(2)\\n")]
    ['PR001']
"""

from __future__ import annotations

import ast
import re
import sys
import warnings
from collections.abc import Collection, Iterator
from dataclasses import dataclass

from procrun.checker.freezing import IN_SOURCE
from procrun.checker.names import (
    POOL_FUNCTION_METHODS,
    PROXY_DATA_METHODS,
    PROXY_SYNC_METHODS,
    ROLES,
    UNPICKLABLE_FACTORIES,
    UNPICKLABLE_OBJECTS,
)
from procrun.checker.rules import BY_CODE, PYTHON2_HINT
from procrun.guard import (
    MUTATING_METHODS,
    Split,
    bindings,
    children,
    mutated_roots,
    split_module,
    walk,
)


@dataclass(frozen=True, order=True)
class Finding:
    """One breach of a guideline: where (1-based line and column, as ruff), which rule, why."""

    path: str
    line: int
    col: int
    code: str
    message: str


class SourceError(Exception):
    """A source the checker cannot read as Python 3: binary, undecodable, or bad syntax.

    ``str(error)`` is one line, without the file name; ``line``/``col`` are 0 when unknown.
    """

    def __init__(self, message: str, line: int = 0, col: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col

    def __str__(self) -> str:
        if self.line:
            return f"line {self.line}, column {self.col}: {self.message}"
        return self.message


class Python2Error(SourceError):
    """A source that is Python 2 (``print 'x'``, ``except E, e:``, ...)."""


def check_source(
    source: str | bytes,
    path: str = "<string>",
    select: Collection[str] | None = None,
    frozen: bool | None = None,
) -> list[Finding]:
    """The findings for one module's ``source``, sorted by position.

    ``bytes`` are decoded as Python does (PEP 263 declaration, else UTF-8). Findings whose
    line carries ``# procrun: ignore`` or ``# procrun: ignore[PR003, ...]``, or ruff's
    ``noqa`` comment, blanket or with codes (either in any case), are dropped; ``select``, if
    given, keeps only those codes.

    PR002 (``freeze_support()``) is reported only for a frozen program: ``frozen`` True says
    it is (the project freezes, or the user asked for PR002), False that it is not, None
    leaves it to the file (it reads ``sys.frozen``, calls ``freeze_support()`` already...,
    see :mod:`procrun.checker.freezing`). Never on a statement PR001 reports: the fix of
    that one (a main guard) comes first.

    A source that imports no process API (a search of its bytes) is not even parsed: most
    files are such, and no rule applies to them. Otherwise raises :class:`SourceError`
    (:class:`Python2Error` for Python 2 code) with a one-line message when the source cannot
    be parsed.
    """
    raw = source if isinstance(source, bytes) else source.encode("utf-8", "surrogateescape")
    if not may_import_a_process_api(raw):
        return []  # no process API imported: no rule can apply, and no need to parse
    tree = parse_source(source, path)
    checker = _Checker(tree, raw, path)
    findings = checker.run()
    if select is not None:
        findings = [f for f in findings if f.code in select]
    if any(f.code == "PR002" for f in findings):
        if frozen is None:
            frozen = checker.calls_freeze_support() or bool(IN_SOURCE.search(raw))
        starts = {f.line for f in findings if f.code == "PR001"}
        findings = [f for f in findings if f.code != "PR002" or (frozen and f.line not in starts)]
    if findings:
        findings = _finish(findings, raw)
    return findings


def parse_source(source: str | bytes, path: str = "<string>") -> ast.Module:
    """``ast.parse`` with errors turned into :class:`SourceError`."""
    try:
        # The parser warns about code it accepts (invalid escapes, "is" with a literal):
        # that is a linter's business, not procrun's, and must not clutter the report.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            return ast.parse(source, path)
    except SyntaxError as error:
        raise _source_error(error, source) from None
    except ValueError as error:  # NUL bytes, before 3.12
        raise SourceError(_binary_or(str(error))) from None
    except RecursionError:
        raise SourceError("too deeply nested to parse") from None


#: A quick look at the raw bytes: does anything import a process API? (Over-inclusive:
#: the alias table decides; this only spares the walk for the many files that cannot match.)
_PROCESS_IMPORT = re.compile(rb"(?:import|from)[ \t][^\n]*\b(?:multiprocessing|processing)\b")
_CONCURRENT_IMPORT = re.compile(rb"(?:import|from)[ \t][^\n]*\bconcurrent\b")


def may_import_a_process_api(raw: bytes) -> bool:
    """Whether ``raw`` may import a process API: a substring search first (in C, at memory
    speed: most files name neither word), then the import lines of the few that do.

    ``concurrent.futures`` counts only with ``ProcessPoolExecutor`` named somewhere: every
    way to reach it (imported, an attribute of the module) spells the name, and a file that
    uses only its thread pool and futures can break no rule.
    """
    if b"processing" in raw and _PROCESS_IMPORT.search(raw) is not None:
        return True
    return (
        b"ProcessPoolExecutor" in raw
        and b"concurrent" in raw
        and _CONCURRENT_IMPORT.search(raw) is not None
    )


_PY2_MESSAGES = (
    ("Missing parentheses in call to 'print'", "print statement"),
    ("Missing parentheses in call to 'exec'", "exec statement"),
    ("multiple exception types must be parenthesized", "'except E, e:' clause"),
    ("leading zeros in decimal integer literals", "octal literal without 0o"),
)
_PY2_LINES = (
    (re.compile(r"^\s*raise\s+[\w.]+\s*,"), "'raise E, message' statement"),
    (re.compile(r"<>"), "'<>' operator"),
    (re.compile(r"`"), "backquote repr"),
    (re.compile(r"\b\d+[lL]\b"), "long integer literal"),
    (re.compile(r"(?i)\bur['\"]"), "ur'' string literal"),
)


def _source_error(error: SyntaxError, source: str | bytes) -> SourceError:
    message = error.msg or "invalid syntax"
    line, col = error.lineno or 0, error.offset or 0
    if "null bytes" in message or "source code cannot contain null bytes" in message:
        return SourceError(_binary_or(message))
    if message.startswith("(unicode error)") or "codec can't decode" in message:
        return SourceError(_decoding_message(source, message))
    text = error.text or ""
    for fragment, what in _PY2_MESSAGES:
        if fragment in message:
            return Python2Error(f"{PYTHON2_HINT} ({what})", line, col)
    if message.startswith("invalid") or message == "Function parameters cannot be parenthesized":
        for pattern, what in _PY2_LINES:
            if pattern.search(text):
                return Python2Error(f"{PYTHON2_HINT} ({what})", line, col)
    if message.startswith("f-string") and sys.version_info < (3, 12):
        # Valid from 3.12 (PEP 701) if it nests quotes or backslashes in an f-string; as
        # ruff with an older target version, say for which Python it does not parse.
        message += (
            f" (on Python {sys.version_info[0]}.{sys.version_info[1]}; f-strings that nest "
            "quotes are Python 3.12 syntax: run procrun check with the Python the code is for)"
        )
    return SourceError(f"syntax error: {message}", line, col)


def _binary_or(message: str) -> str:
    if "null bytes" in message:
        return "binary file (contains NUL bytes), not Python source"
    return message


def _decoding_message(source: str | bytes, detail: str) -> str:
    if isinstance(source, bytes):
        head = source[:400]
        if b"coding" not in head:
            return "not UTF-8 and no encoding declaration (PEP 263): add '# -*- coding: ... -*-'"
    return f"cannot decode: {detail.removeprefix('(unicode error) ')}"


#: ``# procrun: ignore`` / ``# procrun: ignore[PR001, PR003]``, in any case.
_SUPPRESSION = re.compile(r"#\s*procrun:\s*ignore\b(?:\[([^\]]*)\])?", re.IGNORECASE)
#: ruff's (and flake8's) blanket ``noqa`` comment, or ``noqa:`` with codes (``PR001, PR003``),
#: in any case; codes are letters then digits, separated by commas or spaces.
_NOQA = re.compile(r"#\s*noqa\b(?::\s*([A-Za-z]+[0-9]+(?:[\s,]+[A-Za-z]+[0-9]+)*))?", re.IGNORECASE)


def _finish(findings: list[Finding], raw: bytes) -> list[Finding]:
    """Drop suppressed findings, turn byte columns into character columns, sort."""
    lines = raw.splitlines()
    kept = []
    for finding in findings:
        text = lines[finding.line - 1] if 0 < finding.line <= len(lines) else b""
        col = finding.col
        if b"#" in text and _suppressed(text.decode("utf-8", "replace"), finding.code):
            continue
        if not text.isascii():
            col = len(text[: col - 1].decode("utf-8", "replace")) + 1
        if col != finding.col:
            finding = Finding(finding.path, finding.line, col, finding.code, finding.message)
        kept.append(finding)
    return sorted(set(kept))


def _suppressed(line: str, code: str) -> bool:
    for pattern in (_SUPPRESSION, _NOQA):
        for match in pattern.finditer(line):
            codes = match.group(1)
            if codes is None or code in re.split(r"[\s,]+", codes.strip().upper()):
                return True
    return False


# -- what names hold ---------------------------------------------------------------------


class _Val:
    """What the walk knows a name holds. ``kind`` is one of:

    ref (``info`` a qualified name), process, processes, pclass, pool, threadpool, manager,
    managerobj, proxy, proxysync, tlock, mpobj, queue, pipe, conn, lambda, func, nested,
    closure, thread.
    """

    __slots__ = ("info", "kind")

    def __init__(self, kind: str, info: object = None) -> None:
        self.kind = kind
        self.info = info


class _Process:
    """A ``Process(...)`` construction: its call, for the target and the arguments."""

    __slots__ = ("call", "scope")

    def __init__(self, call: ast.Call, scope: _Scope) -> None:
        self.call = call
        self.scope = scope


class _Queue:
    __slots__ = ("maxsize", "role")

    def __init__(self, role: str, maxsize: int | str | None) -> None:
        self.role = role
        self.maxsize = maxsize  # None: unbounded; "?" bounded by a size not known here


class _Event:
    __slots__ = ("data", "kind", "loops", "node")

    def __init__(self, kind: str, node: ast.AST, data: object, loops: tuple[int, ...]) -> None:
        self.kind = kind  # start, callf, join, get, put, gbind, freeze
        self.node = node
        self.data = data
        self.loops = loops


_FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


class _Scope:
    def __init__(self, kind: str, parent: _Scope | None, node: ast.AST | None = None) -> None:
        self.kind = kind  # module, function, class
        self.parent = parent
        self.node = node
        self.values: dict[str, _Val | None] = {}
        self.star_modules: list[str] = []
        self.events: list[_Event] = []
        self.loop_stack: list[int] = []
        self.loop_spans: dict[int, tuple[ast.stmt, int, int]] = {}
        self.local_names: set[str] = set()
        self.declared_global: set[str] = set()
        self.name = getattr(node, "name", "<module>")

    def event(self, kind: str, node: ast.AST, data: object = None) -> None:
        self.events.append(_Event(kind, node, data, tuple(self.loop_stack)))


def _is_main_guard(stmt: ast.stmt) -> str | None:
    """``"body"`` for ``if __name__ == "__main__":``, ``"orelse"`` for ``!=``, else None."""
    test = stmt.test if isinstance(stmt, ast.If) else None
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        test = test.values[0]
    if not isinstance(test, ast.Compare) or len(test.ops) != 1:
        return None
    sides = [test.left, test.comparators[0]]
    names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
    mains = [s for s in sides if isinstance(s, ast.Constant) and s.value == "__main__"]
    if not names or not mains:
        return None
    if isinstance(test.ops[0], ast.Eq):
        return "body"
    if isinstance(test.ops[0], ast.NotEq):
        return "orelse"
    return None


def _key(node: ast.expr) -> str | None:
    """``q`` -> ``"q"``, ``self.q`` -> ``"self.q"``; None for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _key(node.value)
        return None if base is None else f"{base}.{node.attr}"
    return None


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _call_name(node: ast.expr) -> str:
    """How a finding names an expression: ``mp.get_context(...).Lock(...)``."""
    if isinstance(node, ast.Call):
        return f"{_call_name(node.func)}(...)"
    if isinstance(node, ast.Attribute):
        return f"{_call_name(node.value)}.{node.attr}"
    if isinstance(node, ast.Name):
        return node.id
    return "..."


def _const_int(node: ast.expr | None) -> int | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    return None


def _argument(call: ast.Call, position: int, keyword: str) -> ast.expr | None:
    for k in call.keywords:
        if k.arg == keyword:
            return k.value
    if len(call.args) > position and not any(
        isinstance(a, ast.Starred) for a in call.args[: position + 1]
    ):
        return call.args[position]
    return None


def _elements(node: ast.expr | None) -> Iterator[ast.expr]:
    """The values inside an argument tuple/list/dict literal (or the node itself)."""
    if node is None:
        return
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        for e in node.elts:
            yield from _elements(e.value if isinstance(e, ast.Starred) else e)
    elif isinstance(node, ast.Dict):
        for v in node.values:
            yield from _elements(v)
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in (
        "tuple", "list", "dict"
    ):  # fmt: skip
        for a in node.args:
            yield from _elements(a)
        for k in node.keywords:
            yield from _elements(k.value)
    else:
        yield node


def _params(func: _FunctionNode) -> list[str]:
    args = func.args
    return [a.arg for a in (*args.posonlyargs, *args.args)]


def _function_locals(func: _FunctionNode | ast.Lambda) -> tuple[set[str], set[str]]:
    """(local names, names declared ``global``) of a function's own scope."""
    args = func.args
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
    local = {a.arg for a in every if a is not None}
    body = [func.body] if isinstance(func, ast.Lambda) else func.body
    declared: set[str] = set()
    for stmt in body:
        for node in walk(stmt) if not isinstance(stmt, ast.expr) else ():
            if isinstance(node, (ast.Global, ast.Nonlocal)):
                declared.update(node.names)
        if isinstance(stmt, ast.stmt):
            local.update(bindings(stmt))
    return local - declared, declared


_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)
_SCOPE_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


# -- the walk ------------------------------------------------------------------------------


class _Checker:
    def __init__(self, tree: ast.Module, raw: bytes, path: str) -> None:
        self.tree = tree
        self.raw = raw
        self.path = path
        self.findings: list[Finding] = []
        self.module = _Scope("module", None, tree)
        self.scope = self.module
        self.deferred: list[tuple[_FunctionNode, _Scope]] = []
        #: what calls of a module function pass for its parameters, by function name: a
        #: queue or a module function (the first seen; None where calls disagree), so that
        #: a helper's ``Process(target=func, args=(q,))`` and ``q.get()`` are understood
        self.passed: dict[str, dict[str, _Val | None]] = {}
        #: module functions that walked code calls: walked next, so that a caller comes
        #: before the helpers it passes queues and functions to
        self.called: list[_FunctionNode] = []
        self.import_time = False
        self.in_guard = False
        self.comp_depth = 0
        # ``self.x`` values, shared by the methods of one class (by the class node's id)
        self.class_attrs: dict[str, _Val | None] = {}
        self.attrs_of_class: dict[int, dict[str, _Val | None]] = {}
        self.module_funcs: dict[str, _FunctionNode] = {
            s.name: s for s in tree.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))
        }
        self.function_scopes: dict[str, _Scope] = {}  # module-level function name -> scope
        self.method_scopes: dict[str, _Scope] = {}  # "Class.method" of module classes -> scope
        # ("Class.method", call, index): index as in import_calls
        self.import_method_calls: list[tuple[str, ast.Call, int | None]] = []
        self.all_function_scopes: list[_Scope] = []
        self.guards: list[ast.If] = []
        self.guard_calls: list[tuple[str, ast.Call]] = []  # module functions the guard calls
        # ... that import time may call: (name, call, index), where index is the top-level
        # statement that runs at import time only if it is an action (see tentative_index),
        # None if the call runs at import time whatever it is (the main guard's else)
        self.import_calls: list[tuple[str, ast.Call, int | None]] = []
        self.import_starts: list[tuple[ast.AST, int]] = []  # (node, top-level index)
        #: starts met at import time: (node, what, top-level index, index as in
        #: import_calls); finish_module keeps those that run there as import_starts
        self.import_time_starts: list[tuple[ast.AST, str, int, int | None]] = []
        #: while import_time, the top-level statement whose kind decides it (None: certain)
        self.tentative_index: int | None = None
        self._split: Split | None = None
        self.guard_starts: list[ast.AST] = []
        self.targets: list[tuple[str, ast.AST, str]] = []  # (function, where, role)
        self.thread_uses: list[tuple[_Scope, str, ast.AST, bool, int]] = []
        self.reads_memo: dict[str, frozenset[str]] = {}
        self.top_index = 0
        self.module_forks = b"set_start_method" in raw and _sets_fork(tree)
        #: (Process call, finding that holds only if it is started)
        self.pickled_at_start: list[tuple[ast.Call, Finding]] = []
        #: the node of the scope each of those calls is made in, by the call's id
        self.scope_of_call: dict[int, ast.AST] = {}
        #: ("class:Name" of a manager class, finding that holds only if one is started)
        self.pickled_at_manager_start: list[tuple[str, Finding]] = []
        self.started_managers: set[str] = set()

    def report(self, code: str, node: ast.AST, **fields: str) -> None:
        message = BY_CODE[code].message.format(**fields)
        line = getattr(node, "lineno", 1)
        col = getattr(node, "col_offset", 0) + 1
        self.findings.append(Finding(self.path, line, col, code, message))

    # -- names ---------------------------------------------------------------------------

    def lookup(self, name: str) -> _Val | None:
        scope: _Scope | None = self.scope
        first = True
        while scope is not None:
            if (first or scope.kind != "class") and name in scope.values:
                return scope.values[name]
            for module in scope.star_modules:
                if f"{module}.{name}" in ROLES:
                    return _Val("ref", f"{module}.{name}")
            first = False
            scope = scope.parent
        return None

    def bind(self, name: str, value: _Val | None) -> None:
        scope = self.scope
        if name in scope.declared_global:
            scope = self.module
        scope.values[name] = value

    def qual(self, node: ast.expr) -> str | None:
        """The qualified name ``node`` refers to, through imports and ``get_context()``."""
        if isinstance(node, ast.Name):
            value = self.lookup(node.id)
            if value is not None and value.kind in ("ref", "forkctx"):
                return str(value.info)
            return None
        if isinstance(node, ast.Attribute):
            base = self.qual(node.value)
            return None if base is None else f"{base}.{node.attr}"
        if isinstance(node, ast.Call) and self.role(node.func) == "get_context":
            return "multiprocessing"
        return None

    def forked(self, func: ast.expr) -> bool:
        """True if ``func`` is ``ctx.Process``/``ctx.Pool`` of a fork context, or the module
        chooses fork (``set_start_method("fork")``): nothing is pickled to start a child."""
        if self.module_forks:
            return True
        if not isinstance(func, ast.Attribute):
            return False
        base = func.value
        if isinstance(base, ast.Name):
            value = self.lookup(base.id)
            return value is not None and value.kind == "forkctx"
        if isinstance(base, ast.Call) and self.role(base.func) == "get_context":
            return _may_fork(base)
        return False

    def role(self, node: ast.expr) -> str | None:
        name = self.qual(node)
        return None if name is None else ROLES.get(name)

    def infer(self, node: ast.expr) -> _Val | None:
        if isinstance(node, ast.Name):
            return self.lookup(node.id)
        if isinstance(node, ast.Attribute):
            key = _key(node)
            if key is not None and key in self.class_attrs:
                return self.class_attrs[key]
            name = self.qual(node)
            if name in UNPICKLABLE_OBJECTS:
                return _Val("unpicklable", UNPICKLABLE_OBJECTS[name])
            return None if name is None else _Val("ref", name)
        if isinstance(node, ast.Call):
            return self.infer_call(node)
        if isinstance(node, ast.Lambda):
            return _Val("lambda", node)
        if isinstance(node, (ast.List, ast.Tuple)):
            items = [self.infer(e) for e in node.elts]
            procs = [v.info for v in items if v is not None and v.kind == "process"]
            return _Val("processes", procs) if procs else None
        if isinstance(node, (ast.ListComp, ast.GeneratorExp)):
            element = self.infer(node.elt)
            if element is not None and element.kind == "process":
                return _Val("processes", [element.info])
        return None

    def infer_call(self, call: ast.Call) -> _Val | None:
        func = call.func
        role = self.role(func)
        if role is not None:
            return self.value_of_role(role, call)
        callee = self.infer(func) if isinstance(func, ast.Name) else None
        if callee is not None and callee.kind == "pclass":
            return _Val("process", _Process(call, self.scope))
        if callee is not None and callee.kind == "mclass":
            assert isinstance(callee.info, ast.ClassDef)
            return _Val("managerobj", f"class:{callee.info.name}")
        if callee is not None and callee.kind == "class":
            return _Val("instance", callee.info)
        if callee is not None and callee.kind == "localclass":
            what = f"an instance of `{callee.info}` (a class defined inside a function)"
            return _Val("unpicklable", what)
        if callee is not None and callee.kind in ("func", "nested"):
            assert isinstance(callee.info, (ast.FunctionDef, ast.AsyncFunctionDef))
            if _returns_nested_function(callee.info):
                return _Val("closure", callee.info.name)
        if isinstance(func, ast.Name) and func.id == "open" and callee is None:
            return _Val("unpicklable", "an open file")
        made = UNPICKLABLE_FACTORIES.get(self.qual(func) or "")
        if made is not None:
            return _Val("unpicklable", made)
        if isinstance(func, ast.Attribute):
            receiver = self.infer(func.value)
            if receiver is not None and receiver.kind in ("manager", "managerobj"):
                if func.attr in PROXY_DATA_METHODS:
                    return _Val("proxy", func.attr)
                if func.attr in PROXY_SYNC_METHODS:
                    return _Val("proxysync", func.attr)
        return None

    def value_of_role(self, role: str, call: ast.Call) -> _Val | None:
        if role == "Process":
            return _Val("process", _Process(call, self.scope))
        if role in ("Pool", "ProcessPoolExecutor"):
            return _Val("pool", "fork" if self.forked(call.func) else role)
        simple = {
            "ThreadPool": "threadpool",
            "Manager": "manager",
            "ManagerClass": "managerobj",
            "Pipe": "pipe",
            "Thread": "thread",
        }
        if role in simple:
            return _Val(simple[role], role)
        if role == "get_context":
            return _Val("forkctx" if _may_fork(call) else "ref", "multiprocessing")
        kind, _, name = role.partition(":")
        if kind == "queue":
            size = _argument(call, 0, "maxsize")
            maxsize: int | str | None = None
            if size is not None and name != "BufferedQueue":
                number = _const_int(size)
                if number is None:
                    is_none = isinstance(size, ast.Constant) and size.value is None
                    maxsize = None if is_none else "?"
                else:
                    maxsize = number if number > 0 else None
            return _Val("queue", _Queue(name, maxsize))
        if kind in ("sync", "shared"):
            return _Val("mpobj", name)
        if kind == "thread":
            return _Val("tlock", name)
        return None

    # -- the walk ------------------------------------------------------------------------

    def run(self) -> list[Finding]:
        for index, stmt in enumerate(self.tree.body):
            self.top_index = index
            guard = _is_main_guard(stmt)
            if guard is not None:
                assert isinstance(stmt, ast.If)
                self.walk_guard(stmt, guard)
                continue
            # At import time in a child too unless it is a definition, which the split of
            # the module tells: made only if something here may start processes (most
            # modules start none at import time, and the split costs a third of a check).
            self.import_time, self.tentative_index = True, index
            self.stmt(stmt)
            self.import_time, self.tentative_index = False, None
        walked: set[int] = set()
        while self.deferred:
            # Callers before the helpers they pass queues and functions to (a helper is
            # most often defined before its caller), else in the order defined.
            while self.called and id(self.called[-1]) in walked:
                self.called.pop()
            if self.called:
                func, parent = self.called.pop(), self.module
            else:
                func, parent = self.deferred.pop(0)
                if id(func) in walked:
                    continue
            walked.add(id(func))
            self.walk_function(func, parent)
        self.finish_module()
        return self.findings

    @property
    def split(self) -> Split:
        """The launcher's classification of the module's statements, made when first read."""
        if self._split is None:
            self._split = split_module(self.tree, self.raw)
        return self._split

    def runs_at_import(self, index: int | None) -> bool:
        """Whether what the walk met at import time in top-level statement ``index`` (None:
        certainly at import time) runs there: an action does, a definition only replays."""
        return index is None or not self.split.is_definition[index]

    def walk_guard(self, stmt: ast.If, branch: str) -> None:
        self.guards.append(stmt)
        self.expr(stmt.test)
        guarded, unguarded = (
            (stmt.body, stmt.orelse) if branch == "body" else (stmt.orelse, stmt.body)
        )
        self.import_time = True
        self.stmts(unguarded)
        self.import_time = False
        self.in_guard = True
        self.stmts(guarded)
        self.in_guard = False

    def walk_function(self, func: _FunctionNode, parent: _Scope) -> None:
        scope = _Scope("function", parent, func)
        args = func.args
        every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
        # Parameters shadow outer names from the start; other locals as the walk binds them.
        scope.local_names = {a.arg for a in every if a is not None}
        if parent is self.module:
            self.function_scopes[func.name] = scope
        elif isinstance(parent.node, ast.ClassDef) and parent.parent is self.module:
            self.method_scopes[f"{parent.node.name}.{func.name}"] = scope
        self.all_function_scopes.append(scope)
        saved_scope, saved_attrs = self.scope, self.class_attrs
        self.scope = scope
        if parent.kind == "class" and parent.node is not None:
            self.class_attrs = self.attrs_of_class.get(id(parent.node), {})
        for name in scope.local_names:
            scope.values[name] = None
        if parent is self.module:
            for name, value in self.passed.get(func.name, {}).items():
                if value is not None:
                    scope.values[name] = value
        self.stmts(func.body)
        self.scope, self.class_attrs = saved_scope, saved_attrs

    def stmts(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            self.stmt(stmt)

    def stmt(self, node: ast.stmt) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for expr in (*node.decorator_list, *node.args.defaults):
                self.expr(expr)
            for default in node.args.kw_defaults:
                if default is not None:
                    self.expr(default)
            kind = "nested" if self.scope.kind == "function" else "func"
            self.bind(node.name, _Val(kind, node))
            self.deferred.append((node, self.scope))
        elif isinstance(node, ast.ClassDef):
            self.class_def(node)
        elif isinstance(node, ast.Assign):
            self.expr(node.value)
            value = self.infer(node.value)
            for target in node.targets:
                self.assign(target, value, node.value)
            self.note_global_change(node)
        elif isinstance(node, ast.AnnAssign):
            if node.value is not None:
                self.expr(node.value)
                self.assign(node.target, self.infer(node.value), node.value)
            self.note_global_change(node)
        elif isinstance(node, (ast.AugAssign, ast.Expr)):
            self.expr(node.value)
            self.note_global_change(node)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            self.expr(node.iter)
            element = self.infer(node.iter)
            if element is not None and element.kind == "processes":
                procs = element.info
                assert isinstance(procs, list)
                element = _Val("process", procs[0]) if procs else None
            self.assign(node.target, element, None)
            self.loop(node, node.body)
            self.stmts(node.orelse)
        elif isinstance(node, ast.While):
            self.expr(node.test)
            self.loop(node, node.body)
            self.stmts(node.orelse)
        elif isinstance(node, ast.If):
            self.expr(node.test)
            self.stmts(node.body)
            self.stmts(node.orelse)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                self.expr(item.context_expr)
                entered = self.infer(item.context_expr)
                if entered is not None and entered.kind == "managerobj":
                    self.started_managers.add(str(entered.info))  # __enter__ starts it
                if item.optional_vars is not None:
                    self.assign(item.optional_vars, entered, None)
            self.stmts(node.body)
        elif isinstance(node, (ast.Try, getattr(ast, "TryStar", ast.Try))):
            self.stmts(node.body)  # type: ignore[attr-defined]
            # The body is the usual path: a fallback in a handler (``except ImportError:
            # mp = None``) must not hide what the body bound (``import multiprocessing as mp``).
            known = dict(self.scope.values)
            for handler in node.handlers:  # type: ignore[attr-defined]
                if handler.type is not None:
                    self.expr(handler.type)
                if handler.name:
                    self.bind(handler.name, None)
                self.stmts(handler.body)
            for name, value in known.items():
                if value is not None and self.scope.values.get(name, value) is None:
                    self.scope.values[name] = value
            self.stmts(node.orelse)  # type: ignore[attr-defined]
            self.stmts(node.finalbody)  # type: ignore[attr-defined]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    self.bind(alias.asname, _Val("ref", alias.name))
                else:
                    top = alias.name.partition(".")[0]
                    self.bind(top, _Val("ref", top))
        elif isinstance(node, ast.ImportFrom):
            if node.level or not node.module:
                for alias in node.names:
                    self.bind(alias.asname or alias.name, None)
                return
            for alias in node.names:
                if alias.name == "*":
                    self.scope.star_modules.append(node.module)
                else:
                    self.bind(
                        alias.asname or alias.name, _Val("ref", f"{node.module}.{alias.name}")
                    )
        elif isinstance(node, ast.Global):
            self.scope.declared_global.update(node.names)
        elif isinstance(node, ast.Match):
            self.expr(node.subject)
            for case in node.cases:
                if case.guard is not None:
                    self.expr(case.guard)
                self.stmts(case.body)
        else:
            for child in children(node):
                if isinstance(child, ast.expr):
                    self.expr(child)

    def loop(self, node: ast.stmt, body: list[ast.stmt]) -> None:
        scope = self.scope
        loop_id = id(node)
        begin = len(scope.events)
        scope.loop_stack.append(loop_id)
        self.stmts(body)
        scope.loop_stack.pop()
        scope.loop_spans[loop_id] = (node, begin, len(scope.events))

    def assign(self, target: ast.expr, value: _Val | None, source: ast.expr | None) -> None:
        if isinstance(target, ast.Name):
            self.bind(target.id, value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            if value is not None and value.kind == "pipe" and len(target.elts) == 2:
                for element in target.elts:
                    self.assign(element, _Val("conn"), None)
                return
            values: list[_Val | None] = [None] * len(target.elts)
            if isinstance(source, (ast.Tuple, ast.List)) and len(source.elts) == len(values):
                values = [self.infer(e) for e in source.elts]
            for element, item in zip(target.elts, values, strict=True):
                self.assign(element, item, None)
        elif isinstance(target, ast.Starred):
            self.assign(target.value, None, None)
        elif isinstance(target, ast.Attribute):
            key = _key(target)
            if key is not None and key.startswith("self."):
                self.class_attrs[key] = value
        else:
            self.expr(target)

    def class_def(self, node: ast.ClassDef) -> None:
        for expr in (*node.decorator_list, *node.bases, *(k.value for k in node.keywords)):
            self.expr(expr)
        is_process = is_manager = False
        for base in node.bases:
            role = self.role(base)
            if role == "Process":
                is_process = True
            elif role == "ManagerClass":
                is_manager = True
            elif isinstance(base, ast.Name):
                known = self.lookup(base.id)
                is_process = is_process or (known is not None and known.kind == "pclass")
                is_manager = is_manager or (known is not None and known.kind == "mclass")
        attrs: dict[str, _Val | None] = {}
        self.attrs_of_class[id(node)] = attrs
        if is_process:
            self.check_process_init(node)
        scope = _Scope("class", self.scope, node)
        saved = self.scope, self.class_attrs
        self.scope, self.class_attrs = scope, attrs
        self.stmts(node.body)
        self.scope, self.class_attrs = saved
        if is_process:
            self.bind(node.name, _Val("pclass", node))
        elif is_manager:
            self.bind(node.name, _Val("mclass", node))
        elif self.scope is self.module:
            self.bind(node.name, _Val("class", node.name))
        else:
            self.bind(node.name, _Val("localclass", node.name))
        if is_process:
            for stmt in node.body:
                if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == "run":
                    self.targets.append((f"{node.name}.run", stmt, "process target"))
                    self.module_funcs.setdefault(f"{node.name}.run", stmt)

    # -- expressions ---------------------------------------------------------------------

    def expr(self, node: ast.expr) -> None:
        kind = type(node)
        if kind is ast.Name or kind is ast.Constant or kind is ast.Attribute:
            if kind is ast.Attribute:  # the commonest nodes first: a third of the walk's time
                self.expr(node.value)  # type: ignore[attr-defined]
            return
        if kind is ast.Call:
            self.call(node)  # type: ignore[arg-type]
        elif isinstance(node, ast.Lambda):
            for default in (*node.args.defaults, *node.args.kw_defaults):
                if default is not None:
                    self.expr(default)
        elif isinstance(node, _COMPREHENSIONS):
            self.comp_depth += 1
            for generator in node.generators:
                self.expr(generator.iter)
                for test in generator.ifs:
                    self.expr(test)
            if isinstance(node, ast.DictComp):
                self.expr(node.key)
                self.expr(node.value)
            else:
                self.expr(node.elt)
            self.comp_depth -= 1
        elif isinstance(node, ast.NamedExpr):
            self.expr(node.value)
            self.bind(node.target.id, self.infer(node.value))
        else:
            for child in children(node):
                if isinstance(child, ast.expr):
                    self.expr(child)

    def call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute):
            self.expr(func.value)
        elif not isinstance(func, ast.Name):
            self.expr(func)
        for arg in node.args:
            self.expr(arg)
        for keyword in node.keywords:
            self.expr(keyword.value)

        role = self.role(func)
        if role is not None:
            self.role_call(role, node)
            return
        if isinstance(func, ast.Name):
            callee = self.lookup(func.id)
            if callee is not None and callee.kind == "pclass":
                self.process_construction(node, f"{func.id}(...)")
            elif callee is not None and callee.kind == "class":
                self.method_call(f"{callee.info}.__init__", node)
            elif func.id in self.module_funcs and (callee is None or callee.kind == "func"):
                self.scope.event("callf", node, func.id)
                self.note_passed(self.module_funcs[func.id], node)
                if self.in_guard and self.scope is self.module:
                    self.guard_calls.append((func.id, node))
                elif self.import_time and self.scope.kind != "function":
                    self.import_calls.append((func.id, node, self.tentative_index))
            return
        if not isinstance(func, ast.Attribute):
            return
        if func.attr == "start" and not node.args:
            # Any start() may start a consumer (a thread, a process made elsewhere): PR010
            # judges "before any consumer starts" by these, to stay on the safe side.
            self.scope.event("anystart", node)
        if func.attr == "append" and isinstance(func.value, ast.Name) and len(node.args) == 1:
            self.note_append(func.value.id, node.args[0])
            return
        if isinstance(func.value, ast.Name) and func.value.id == "self":
            self.scope.event("callm", node, func.attr)
        receiver = self.infer(func.value)
        if receiver is None:
            return
        attr, kind, key = func.attr, receiver.kind, _key(func.value)
        if kind == "instance":
            self.method_call(f"{receiver.info}.{attr}", node)
            return
        if kind == "mclass" and attr == "register":
            callable_ = _argument(node, 1, "callable")
            if callable_ is not None:
                what = f"the callable registered with `{_call_name(func.value)}.register()`"
                before = len(self.findings)
                self.check_function_argument(callable_, what)
                # Pickled with the registry only by start() (get_server() serves in place).
                assert isinstance(receiver.info, ast.ClassDef)
                cls = f"class:{receiver.info.name}"
                self.pickled_at_manager_start += [(cls, f) for f in self.findings[before:]]
            return
        if kind in ("process", "processes"):
            if attr == "start" and not node.args:
                self.start(node, f"`{_call_name(func.value)}.start()` starts a process")
            elif attr == "join" and not node.args and not node.keywords:
                self.scope.event("join", node, receiver)
        elif kind == "managerobj" and attr == "start":
            self.started_managers.add(str(receiver.info))
            self.start(node, f"`{_call_name(func.value)}.start()` starts a manager process")
        elif kind == "pool" and attr in POOL_FUNCTION_METHODS and node.args:
            # Tasks travel through the pool's queue, pickled, under every start method.
            role_text = f"the function of `{_call_name(func.value)}.{attr}()`"
            self.check_function_argument(node.args[0], role_text, every_method=True)
            rest = [*node.args[1:], *(k.value for k in node.keywords)]
            for arg in rest:
                self.check_threading_argument(arg, "as a pool task argument")
                where = f"to `{_call_name(func.value)}.{attr}()`"
                self.check_unpicklable_argument(arg, where, "under every start method")
                self.check_inherit_only(arg, "passed to a pool task (sent through its queue)")
        elif kind == "threadpool" and attr in POOL_FUNCTION_METHODS and node.args:
            many = attr not in ("submit", "apply", "apply_async") or self.repeated()
            self.note_thread_use(node.args[0], [*node.args[1:]], node, many)
        elif kind in ("queue", "proxy") and key is not None:
            if kind == "proxy" and receiver.info not in ("Queue", "JoinableQueue"):
                return
            if attr in ("get", "get_nowait"):
                self.scope.event("get", node, key)
            elif attr in ("put", "put_nowait") and node.args:
                blocking = attr == "put" and not node.keywords and len(node.args) == 1
                self.scope.event("put", node, (key, receiver, blocking))
                self.check_inherit_only(node.args[0], f"put on the queue `{key}`")
        elif kind == "conn" and attr == "send" and node.args:
            self.check_inherit_only(node.args[0], f"sent through the pipe `{key}`")

    def note_passed(self, function: _FunctionNode, node: ast.Call) -> None:
        """Note the queues and module functions that ``node``, a call of the module
        function ``function``, passes for its parameters (see ``passed``)."""
        self.called.append(function)
        params = _params(function)
        pairs: list[tuple[str, ast.expr]] = []
        for param, arg in zip(params, node.args, strict=False):
            if isinstance(arg, ast.Starred):
                break  # the positions after ``*args`` are unknown
            pairs.append((param, arg))
        pairs += [(k.arg, k.value) for k in node.keywords if k.arg is not None]
        seen = self.passed.setdefault(function.name, {})
        for param, arg in pairs:
            value = self.infer(arg)
            if value is None or value.kind not in ("queue", "func"):
                continue
            if param not in seen:
                seen[param] = value
                continue
            known = seen[param]
            if known is not None and (
                known.kind != value.kind or (value.kind == "func" and known.info is not value.info)
            ):
                seen[param] = None

    def method_call(self, method: str, node: ast.Call) -> None:
        """A call of a module class's method (``__init__`` for ``Class(...)``), for PR001:
        at import time, it starts processes if the method does."""
        if self.import_time and self.scope.kind != "function":
            self.import_method_calls.append((method, node, self.tentative_index))

    def note_append(self, name: str, item_node: ast.expr) -> None:
        """``procs.append(p)``: ``procs`` now holds processes, for its loops' starts/joins."""
        item = self.infer(item_node)
        if item is not None and item.kind == "process":
            current = self.lookup(name)
            procs = current.info if current is not None and current.kind == "processes" else []
            assert isinstance(procs, list)
            self.bind(name, _Val("processes", [*procs, item.info]))

    def role_call(self, role: str, node: ast.Call) -> None:
        name = _call_name(node)
        if role == "Process":
            self.process_construction(node, name)
        elif role in ("Pool", "ProcessPoolExecutor"):
            self.start(node, f"`{name}` starts worker processes")
            initializer = _argument(node, 1, "initializer")
            if initializer is not None and not self.forked(node.func):
                # It goes to each worker as a Process argument: pickled unless forked.
                self.check_function_argument(initializer, f"the initializer of `{name}`")
            initargs = _argument(node, 2, "initargs")
            self.check_threading_argument(initargs, "as an initializer argument")
        elif role == "Manager":
            self.start(node, f"`{name}` starts a manager process")
        elif role == "freeze_support":
            self.scope.event("freeze", node)
        elif role == "Thread":
            target = _argument(node, 1, "target")
            arguments = [_argument(node, 3, "args"), _argument(node, 4, "kwargs")]
            if target is not None:
                self.note_thread_use(target, [a for a in arguments if a is not None], node)

    def process_construction(self, node: ast.Call, name: str) -> None:
        target = _argument(node, 1, "target")
        forked = self.forked(node.func)
        before = len(self.findings)
        if target is not None and not forked:
            self.check_function_argument(target, "the target of a Process")
        for arg in (_argument(node, 3, "args"), _argument(node, 4, "kwargs")):
            self.check_threading_argument(arg, "as a Process argument")
            if not forked:
                self.check_unpicklable_argument(arg, "to a Process", "under spawn/forkserver")
        # What is pickled only when the process starts is dropped at the end if it never
        # does (see _never_started): the walk that tells is paid only then.
        if self.scope.node is not None:
            self.scope_of_call[id(node)] = self.scope.node
        self.pickled_at_start.extend(
            (node, finding) for finding in self.findings[before:] if finding.code != "PR004"
        )

    def start(self, node: ast.AST, what: str) -> None:
        self.scope.event("start", node, what)
        if self.scope.kind == "function":
            return
        if self.in_guard:
            self.guard_starts.append(node)
        elif self.import_time:
            self.import_time_starts.append((node, what, self.top_index, self.tentative_index))

    def repeated(self) -> bool:
        return bool(self.comp_depth or self.scope.loop_stack)

    # -- rules judged on the spot --------------------------------------------------------

    def check_function_argument(
        self, node: ast.expr, role: str, every_method: bool = False
    ) -> None:
        """PR003 for a lambda or nested function; records module functions as targets.
        ``every_method``: it is pickled under fork too (a pool's task function)."""
        if isinstance(node, ast.Call) and self.qual(node.func) == "functools.partial":
            if node.args:
                self.check_function_argument(node.args[0], role, every_method)
            return
        when = "under every start method" if every_method else "under spawn/forkserver"
        if isinstance(node, ast.Lambda):
            self.report("PR003", node, what="a lambda", role=role, when=when)
            return
        if isinstance(node, ast.Attribute) and _key(node.value) == "self":
            self.check_bound_method(node, role, when)
            return
        if not isinstance(node, ast.Name):
            return
        value = self.lookup(node.id)
        if value is None:
            if node.id in self.module_funcs:
                self.targets.append((node.id, node, role))
            return
        if value.kind == "lambda":
            self.report("PR003", node, what=f"`{node.id}` (a lambda)", role=role, when=when)
        elif value.kind == "nested":
            what = f"nested function `{node.id}`"
            self.report("PR003", node, what=what, role=role, when=when)
        elif value.kind == "closure":
            what = f"`{node.id}` (a closure made by `{value.info}()`)"
            self.report("PR003", node, what=what, role=role, when=when)
        elif value.kind == "func":
            self.targets.append((node.id, node, role))

    def check_bound_method(self, method: ast.Attribute, role: str, when: str) -> None:
        """PR011: ``self.method`` pickles ``self``, with every attribute ``__init__`` (or
        another method) gave it: one that cannot be pickled makes the whole call fail."""
        for key, value in self.class_attrs.items():
            if value is None:
                continue
            what = _UNPICKLABLE_STATE.get(value.kind)
            if value.kind == "unpicklable":
                what = str(value.info)
            elif value.kind == "tlock":
                what = f"a threading {value.info}"
            if what is None:
                continue
            self.report(
                "PR011",
                method,
                what=f"`{_call_name(method)}` (a bound method: its instance holds `{key}`, {what})",
                how=f"as {role}",
                when=when,
            )
            return

    def check_threading_argument(self, node: ast.expr | None, how: str) -> None:
        """PR004: a threading primitive among the arguments sent to a process."""
        for element in _elements(node):
            value = self.infer(element)
            if value is not None and value.kind == "tlock":
                name = _call_name(element)
                self.report("PR004", element, kind=str(value.info), name=name, how=how)

    def check_unpicklable_argument(self, node: ast.expr | None, how: str, when: str) -> None:
        """PR011: an open file, a standard stream, ... among the arguments pickled for a
        child."""
        for element in _elements(node):
            value = self.infer(element)
            if value is not None and value.kind == "unpicklable":
                what = str(value.info)
                if isinstance(element, ast.Name):
                    what = f"`{element.id}` ({what})"
                self.report("PR011", element, what=what, how=how, when=when)

    def check_inherit_only(self, node: ast.expr, how: str) -> None:
        """PR008: a lock, queue or shared value that is pickled on its way."""
        for element in _elements(node):
            value = self.infer(element)
            if value is None:
                continue
            if value.kind == "mpobj" or (value.kind == "queue" and isinstance(value.info, _Queue)):
                kind = value.info.role if isinstance(value.info, _Queue) else str(value.info)
                what = f"`{_call_name(element)}` ({_article(kind)} {kind})"
                self.report("PR008", element, what=what, how=how)

    def check_process_init(self, node: ast.ClassDef) -> None:
        """PR009: what a Process subclass's ``__init__`` stores on ``self``."""
        for stmt in node.body:
            if not (isinstance(stmt, ast.FunctionDef) and stmt.name == "__init__"):
                continue
            params = _params(stmt)
            if not params:
                return
            me = params[0]
            local: dict[str, str] = {}
            for child in ast.walk(stmt):
                if not isinstance(child, (ast.Assign, ast.AnnAssign)) or child.value is None:
                    continue
                what = self.unpicklable(child.value, local)
                if what is None:
                    continue
                targets = child.targets if isinstance(child, ast.Assign) else [child.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        local[target.id] = what
                    elif (
                        isinstance(target, ast.Attribute)
                        and isinstance(target.value, ast.Name)
                        and target.value.id == me
                    ):
                        self.report("PR009", target, cls=node.name, what=what, attr=target.attr)

    def unpicklable(self, node: ast.expr, local: dict[str, str]) -> str | None:
        if isinstance(node, ast.Lambda):
            return "a lambda"
        if isinstance(node, ast.Name):
            return local.get(node.id)
        if not isinstance(node, ast.Call):
            return None
        func = node.func
        if isinstance(func, ast.Name) and func.id == "open" and self.lookup("open") is None:
            return "an open file"
        name = self.qual(func)
        if name is None:
            return None
        role = ROLES.get(name, "")
        if role.startswith("thread:"):
            return f"a threading {role[7:]}"
        return UNPICKLABLE_FACTORIES.get(name)

    def note_thread_use(
        self, target: ast.expr, arguments: list[ast.expr], node: ast.AST, many: bool = False
    ) -> None:
        """PR007 bookkeeping: which manager proxies a thread gets, and whether locked."""
        values = [(e, self.infer(e)) for a in arguments for e in _elements(a)]
        locked = any(v is not None and v.kind in ("tlock", "mpobj", "proxysync") for _, v in values)
        target_name = target.id if isinstance(target, ast.Name) else None
        function = self.module_funcs.get(target_name or "")
        if function is not None:
            locked = locked or _uses_a_lock(function)
            for name in self.global_reads(target_name or ""):
                value = self.module.values.get(name)
                if value is not None and value.kind == "proxy":
                    values.append((ast.Name(id=name), value))
        count = 2 if many or self.repeated() else 1
        for element, value in values:
            if value is not None and value.kind == "proxy":
                key = _key(element)
                if key is not None:
                    self.thread_uses.append((self.scope, key, node, locked, count))

    def note_global_change(self, node: ast.stmt) -> None:
        """PR006 bookkeeping: a function changes a module global in this statement.

        "Global" is judged as the walk goes: a name neither a parameter nor bound so far in
        the function (nor declared ``global``, which always counts). Cheaper than a second
        walk per function, and a name bound only after its mutation is rare.
        """
        scope = self.scope
        if scope.kind != "function":
            return
        changed: list[str] = []
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        elif (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Attribute)
            and (node.value.func.attr in MUTATING_METHODS or node.value.func.attr.startswith("set"))
        ):
            root = _root_name(node.value.func.value)
            if root is not None:
                changed.append(root)
        for target in targets:
            if isinstance(target, ast.Name):
                if target.id in scope.declared_global:
                    changed.append(target.id)
            elif isinstance(target, (ast.Attribute, ast.Subscript)):
                root = _root_name(target)
                if root is not None:
                    changed.append(root)
        for name in changed:
            if name in scope.declared_global or (
                name not in scope.local_names and name not in scope.values
            ):
                scope.event("gbind", node, name)

    # -- rules judged at the end ---------------------------------------------------------

    def finish_module(self) -> None:
        for node, what, top_index, index in self.import_time_starts:
            if self.runs_at_import(index):
                self.import_starts.append((node, top_index))
                self.report("PR001", node, what=what)
        starting = self.starting_functions()
        for name, call, index in self.import_calls:
            if name in starting and self.runs_at_import(index):
                self.report("PR001", call, what=f"`{name}()` starts processes and runs")
                self.import_starts.append((call, -1))
        methods = self.starting_methods(starting)
        for method, call, index in self.import_method_calls:
            if method in methods and self.runs_at_import(index):
                cls, _, name = method.partition(".")
                shown = f"`{cls}(...)`" if name == "__init__" else f"`{_call_name(call.func)}()`"
                self.report("PR001", call, what=f"{shown} starts processes and runs")
                self.import_starts.append((call, -1))
        self.check_freeze_support(starting)
        for scope in [self.module, *self.all_function_scopes]:
            self.check_joins(scope)
            self.check_bounded_puts(scope, starting)
        self.check_target_globals(starting)
        self.check_proxies()
        dropped = {
            id(f) for cls, f in self.pickled_at_manager_start if cls not in self.started_managers
        }
        if self.pickled_at_start:
            calls = {id(call) for call, _ in self.pickled_at_start}
            unstarted = _never_started(self.tree, calls, self.scope_of_call)
            dropped |= {id(f) for call, f in self.pickled_at_start if id(call) in unstarted}
        if dropped:
            self.findings = [f for f in self.findings if id(f) not in dropped]

    def starting_functions(self) -> set[str]:
        """Module-level functions that start processes, directly or through each other."""
        direct = {
            name
            for name, scope in self.function_scopes.items()
            if any(e.kind == "start" for e in scope.events)
        }
        calls = {
            name: {str(e.data) for e in scope.events if e.kind == "callf"}
            for name, scope in self.function_scopes.items()
        }
        return _callers_closure(direct, calls)

    def starting_methods(self, starting: set[str]) -> set[str]:
        """Methods of module classes ("Class.method") that start processes: directly, by
        calling a starting module function, or through ``self.other()``."""
        direct = {
            name
            for name, scope in self.method_scopes.items()
            if any(
                e.kind == "start" or (e.kind == "callf" and e.data in starting)
                for e in scope.events
            )
        }
        calls = {
            name: {f"{name.partition('.')[0]}.{e.data}" for e in scope.events if e.kind == "callm"}
            for name, scope in self.method_scopes.items()
        }
        return _callers_closure(direct, calls)

    def calls_freeze_support(self) -> bool:
        """Whether the module calls ``freeze_support()`` anywhere (a sign it is frozen)."""
        scopes = [self.module, *self.all_function_scopes]
        return any(e.kind == "freeze" for scope in scopes for e in scope.events)

    def check_freeze_support(self, starting: set[str]) -> None:
        """PR002: a script that starts processes calls freeze_support() first in its guard."""
        guard_starts = self.guard_starts or [c for n, c in self.guard_calls if n in starting]
        if not guard_starts and not self.import_starts:
            return
        freezes = [e for e in self.module.events if e.kind == "freeze"]
        for scope in self.function_scopes.values():
            freezes += [e for e in scope.events if e.kind == "freeze"]
        if not self.guards:
            node, _ = self.import_starts[0]
            what = (
                "`freeze_support()` is not called first in a main guard: this script starts "
                'processes and has no `if __name__ == "__main__":`'
            )
            self.report("PR002", node, what=what)
            return
        guard = self.guards[0]
        body = guard.body if _is_main_guard(guard) == "body" else guard.orelse
        if body and self.calls_freeze_first(body[0]):
            return
        what = (
            "`freeze_support()` is not the first statement of the main guard"
            if freezes
            else "`freeze_support()` is missing: call it first in the main guard"
        )
        self.report("PR002", guard, what=what + " of a script that starts processes")

    def calls_freeze_first(self, stmt: ast.stmt) -> bool:
        if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
            return False
        func = stmt.value.func
        saved, self.scope = self.scope, self.module
        try:
            if self.role(func) == "freeze_support":
                return True
            if isinstance(func, ast.Name) and func.id in self.function_scopes:
                function = self.module_funcs[func.id]
                body = function.body
                if (
                    body
                    and isinstance(body[0], ast.Expr)
                    and isinstance(body[0].value, ast.Constant)
                ):
                    body = body[1:]
                if not body:
                    return False
                self.scope = self.function_scopes[func.id]
                first = body[0]
                return (
                    isinstance(first, ast.Expr)
                    and isinstance(first.value, ast.Call)
                    and self.role(first.value.func) == "freeze_support"
                )
        finally:
            self.scope = saved
        return False

    def check_joins(self, scope: _Scope) -> None:
        """PR005: a join on a process before the queue it writes to is read."""
        pending: dict[str, tuple[ast.AST, str]] = {}
        reported: set[int] = set()
        drained: set[str] = set()  # read in a loop before any join: emptied as it filled
        for event in scope.events:
            if event.kind == "join":
                assert isinstance(event.data, _Val) and isinstance(event.node, ast.Call)
                func = event.node.func
                assert isinstance(func, ast.Attribute)
                for queue in self.written_queues(event.data) - drained:
                    pending.setdefault(queue, (event.node, _call_name(func.value)))
            elif event.kind == "get" and event.data not in pending and event.loops:
                drained.add(str(event.data))
            elif event.kind == "get" and event.data in pending:
                node, process = pending.pop(str(event.data))
                if id(node) not in reported:
                    reported.add(id(node))
                    self.report("PR005", node, process=process, queue=str(event.data))

    def written_queues(self, value: _Val) -> set[str]:
        """Queues (by name) that the target of a process puts on: PR005's "writes to"."""
        procs = value.info if value.kind == "processes" else [value.info]
        assert isinstance(procs, list)
        written: set[str] = set()
        for proc in procs:
            if not isinstance(proc, _Process):
                continue
            target = _argument(proc.call, 1, "target")
            function = self.resolve_function(target, proc.scope)
            if function is None:
                continue
            putters = _putting_names(function)
            names: set[str] = set()
            args = _argument(proc.call, 3, "args")
            if isinstance(args, (ast.Tuple, ast.List)):
                for param, arg in zip(_params(function), args.elts, strict=False):
                    if param in putters and isinstance(arg, ast.Name):
                        names.add(arg.id)
            kwargs = _argument(proc.call, 4, "kwargs")
            if isinstance(kwargs, ast.Dict):
                for k, v in zip(kwargs.keys, kwargs.values, strict=True):
                    if (
                        isinstance(k, ast.Constant)
                        and k.value in putters
                        and isinstance(v, ast.Name)
                    ):
                        names.add(v.id)
            written |= {n for n in names if self.is_mp_queue(_lookup_in(proc.scope, n))}
            local, _ = _function_locals(function)
            written |= {n for n in putters - local if self.is_mp_queue(self.module.values.get(n))}
        return written

    @staticmethod
    def is_mp_queue(value: _Val | None) -> bool:
        return value is not None and value.kind == "queue"

    def resolve_function(self, node: ast.expr | None, scope: _Scope) -> _FunctionNode | None:
        if not isinstance(node, ast.Name):
            return None
        value = _lookup_in(scope, node.id)
        if value is not None and value.kind in ("func", "nested"):
            function = value.info
            assert isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
            return function
        return self.module_funcs.get(node.id)

    def check_bounded_puts(self, scope: _Scope, starting: set[str]) -> None:
        """PR010: a bounded queue filled in a loop before any consumer has started."""
        events = scope.events
        first_start = next(
            (
                i
                for i, e in enumerate(events)
                if e.kind in ("start", "anystart") or (e.kind == "callf" and e.data in starting)
            ),
            len(events),
        )
        reported: set[str] = set()
        for event in events:
            if event.kind != "put" or not event.loops:
                continue
            assert isinstance(event.data, tuple)
            key, receiver, blocking = event.data
            assert isinstance(key, str) and isinstance(receiver, _Val)
            if scope.values.get(key) is not receiver:
                continue  # made elsewhere (an attribute, a global): its consumers may run
            queue = receiver.info
            if not blocking or not isinstance(queue, _Queue) or queue.maxsize is None:
                continue
            loop, begin, end = scope.loop_spans[event.loops[0]]
            if begin > first_start or key in reported:
                continue
            inside = events[begin:end]
            if any(
                e.kind in ("get", "start", "anystart") or (e.kind == "callf" and e.data in starting)
                for e in inside
            ):
                continue
            count = _loop_count(loop)
            if isinstance(queue.maxsize, int) and count is not None and count <= queue.maxsize:
                continue
            reported.add(key)
            size = "a limited number of" if queue.maxsize == "?" else str(queue.maxsize)
            self.report("PR010", event.node, queue=key, maxsize=size)

    def global_reads(self, name: str, seen: frozenset[str] = frozenset()) -> frozenset[str]:
        """Module globals that function ``name`` reads, through the module functions it calls."""
        if name in self.reads_memo:
            return self.reads_memo[name]
        function = self.module_funcs.get(name)
        if function is None:
            return frozenset()
        local, declared = _function_locals(function)
        reads = {
            n.id
            for stmt in function.body
            for n in walk(stmt)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
        } - local
        # A global the function assigns before it reads it: the module's value never matters.
        reads -= {name for name in declared & reads if _assigned_first(function.body, name)}
        for callee in list(reads):
            if callee in self.module_funcs and callee not in seen and callee != name:
                reads |= self.global_reads(callee, seen | {name})
        result = frozenset(reads)
        self.reads_memo[name] = result
        return result

    def check_target_globals(self, starting: set[str]) -> None:
        """PR004 (threading primitives in globals) and PR006 (globals changed for a child)."""
        readers: dict[str, str] = {}
        for name, where, _role in self.targets:
            for read in self.global_reads(name):
                readers.setdefault(read, name.removesuffix(".run"))
                value = self.module.values.get(read)
                if value is not None and value.kind == "tlock":
                    how = f"as a global that `{name.removesuffix('.run')}` uses"
                    self.report("PR004", where, kind=str(value.info), name=read, how=how)
        if not readers:
            return
        reported: set[str] = set()

        def flag(name: str, node: ast.AST, how: str) -> None:
            if name in readers and name not in reported:
                reported.add(name)
                sees = "its module-level value" if name in self.split.defined else "no value at all"
                self.report("PR006", node, name=name, target=readers[name], how=how, sees=sees)

        # A module is not a value a child could see differently; changes through one
        # (``sys.stdout.write``, ``os.environ[...] = ...``) are not what PR006 is about.
        imported = {
            name
            for stmt in self.tree.body
            if isinstance(stmt, (ast.Import, ast.ImportFrom))
            for name in bindings(stmt)
        }
        for guard in self.guards:
            body = guard.body if _is_main_guard(guard) == "body" else guard.orelse
            for node, name, kind in _changes(body):
                if kind != "assign" and name in imported:
                    continue
                how = (
                    "changed in the main block"
                    if kind == "mutate"
                    else "assigned in the main block"
                )
                flag(name, node, how)
        first = min((i for _, i in self.import_starts if i >= 0), default=None)
        if first is not None:
            for stmt in self.tree.body[first + 1 :]:
                if _is_main_guard(stmt) is None:
                    for node, name, kind in _changes([stmt]):
                        if kind == "assign" or name not in imported:
                            flag(name, node, "changed after the process starts")
        guarded_callees = self.reachable({n for n, _ in self.guard_calls})
        for fname, scope in self.function_scopes.items():
            starts = fname in starting
            for event in scope.events:
                if event.kind != "gbind" or not isinstance(event.data, str):
                    continue
                if event.data in imported and event.data not in scope.declared_global:
                    continue
                if starts or fname in guarded_callees:
                    flag(
                        event.data, event.node, f"changed in `{fname}()`, which the main block runs"
                    )

    def reachable(self, roots: set[str]) -> set[str]:
        seen: set[str] = set()
        todo = list(roots)
        while todo:
            name = todo.pop()
            if name in seen or name not in self.function_scopes:
                continue
            seen.add(name)
            todo.extend(str(e.data) for e in self.function_scopes[name].events if e.kind == "callf")
        return seen

    def check_proxies(self) -> None:
        """PR007: a proxy given to several threads, none of which holds a lock."""
        totals: dict[tuple[int, str], int] = {}
        first: dict[tuple[int, str], ast.AST] = {}
        for scope, key, node, locked, count in self.thread_uses:
            ident = (id(scope), key)
            if locked:
                totals[ident] = -(10**6)
                continue
            totals[ident] = totals.get(ident, 0) + count
            first.setdefault(ident, node)
        for ident, total in totals.items():
            if total >= 2:
                self.report("PR007", first[ident], name=ident[1])


def _lookup_in(scope: _Scope | None, name: str) -> _Val | None:
    while scope is not None:
        if name in scope.values:
            return scope.values[name]
        scope = scope.parent
    return None


def _putting_names(function: _FunctionNode) -> set[str]:
    """Names on which ``function`` calls ``put``/``put_nowait``."""
    return {
        node.func.value.id
        for node in walk(function)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("put", "put_nowait")
        and isinstance(node.func.value, ast.Name)
    }


def _sets_fork(tree: ast.Module) -> bool:
    """True if the module's own top-level code (the main block included, functions not)
    calls ``set_start_method("fork")``: the script then starts every child by fork."""
    todo: list[ast.AST] = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, (ast.Attribute, ast.Name))
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id)
            == "set_start_method"
            and bool(node.args)
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value == "fork"
        ):
            return True
        todo.extend(children(node))
    return False


def _callers_closure(direct: set[str], calls: dict[str, set[str]]) -> set[str]:
    """``direct`` and every name whose callees (``calls``) reach one of them."""
    found = set(direct)
    changed = True
    while changed:
        changed = False
        for name, callees in calls.items():
            if name not in found and callees & found:
                found.add(name)
                changed = True
    return found


def _may_fork(get_context: ast.Call) -> bool:
    """Whether ``get_context(...)`` may give fork: ``"fork"``, or a method only known at run
    time (a parameter, a command-line option): what holds only under spawn is not asserted
    then (precision first; a pool's tasks are pickled either way)."""
    method = _argument(get_context, 0, "method")
    if method is None:
        return False
    return not isinstance(method, ast.Constant) or method.value == "fork"


#: What an instance may hold that pickle refuses, by the kind the walk gives it.
_UNPICKLABLE_STATE = {
    "pool": "a process pool",
    "threadpool": "a thread pool",
    "thread": "a thread",
}


def _assigned_first(body: list[ast.stmt], name: str) -> bool:
    """Whether ``body`` surely binds ``name`` before anything in it reads it: the first of
    its statements that mentions the name assigns it (``x = ...`` with ``x`` not read on the
    right, ``for x in ...`` over something else), outside any ``if`` or loop."""
    for stmt in body:
        evaluated: ast.AST
        if isinstance(stmt, ast.Assign):
            evaluated, targets = stmt.value, stmt.targets
        elif isinstance(stmt, (ast.For, ast.AsyncFor)):
            evaluated, targets = stmt.iter, [stmt.target]
        else:
            evaluated, targets = stmt, []
        if _reads_name(evaluated, name):
            return False
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return True
        if _reads_name(stmt, name):  # in a target's subscript, say
            return False
    return False


def _reads_name(node: ast.AST, name: str) -> bool:
    return any(
        isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load) for n in walk(node)
    )


def _never_started(tree: ast.Module, calls: set[int], scopes: dict[int, ast.AST]) -> set[int]:
    """Of ``calls`` (ids of Process calls), those bound by ``name = Call(...)`` where
    ``name`` is never started: no ``name.start()``, and ``name`` never used but as
    ``name.attribute`` (passed on, stored or returned, it may be started elsewhere). A
    Process made only to be looked at (a demonstration, a test of its attributes) sends
    nothing to a child.

    Where ``name`` is a function's local, only that function (with the functions nested in
    it) can start it: another function's ``name.start()`` is another variable's. ``scopes``
    gives the node of the scope each call is made in (the module where it is missing)."""
    by_scope: dict[int, tuple[ast.AST, set[int]]] = {}
    for call in calls:
        scope = scopes.get(call, tree)
        by_scope.setdefault(id(scope), (scope, set()))[1].add(call)
    everywhere: tuple[set[str], set[str]] | None = None
    never: set[int] = set()
    for scope, wanted in by_scope.values():
        local: set[str] = set()
        if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
            local = _function_locals(scope)[0]
        within: tuple[set[str], set[str]] | None = None
        for node in walk(scope):
            if not (
                isinstance(node, ast.Assign)
                and id(node.value) in wanted
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
            ):
                continue
            name = node.targets[0].id
            if name in local:
                within = within or _start_uses(walk(scope))
                started, escaping = within
            else:
                everywhere = everywhere or _start_uses(walk(tree))
                started, escaping = everywhere
            if name not in started and name not in escaping:
                never.add(id(node.value))
    return never


def _start_uses(nodes: Iterator[ast.AST]) -> tuple[set[str], set[str]]:
    """(names started: ``name.start()``, names used other than as ``name.attribute``)."""
    started: set[str] = set()
    receivers: set[int] = set()
    loaded: list[ast.Name] = []
    for node in nodes:
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            loaded.append(node)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            receivers.add(id(node.value))
            if node.attr == "start":
                started.add(node.value.id)
    return started, {node.id for node in loaded if id(node) not in receivers}


def _root_name(node: ast.expr) -> str | None:
    """``a`` for ``a.b[c].d``: the name whose object an attribute or item change touches."""
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _returns_nested_function(function: _FunctionNode) -> bool:
    """True for a closure factory: ``def f(): def g(): ...; return g``."""
    nested = {
        s.name for s in function.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    return bool(nested) and any(
        isinstance(s, ast.Return) and isinstance(s.value, ast.Name) and s.value.id in nested
        for s in function.body
    )


def _uses_a_lock(function: _FunctionNode) -> bool:
    for node in walk(function):
        if isinstance(node, (ast.With, ast.AsyncWith)):
            return True
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "acquire"
        ):
            return True
    return False


def _loop_count(loop: ast.stmt) -> int | None:
    """The number of iterations of ``for ... in range(N)`` with a literal N."""
    if not isinstance(loop, ast.For) or not isinstance(loop.iter, ast.Call):
        return None
    call = loop.iter
    if not (isinstance(call.func, ast.Name) and call.func.id == "range"):
        return None
    numbers = [_const_int(a) for a in call.args]
    if not numbers or None in numbers:
        return None
    values = [n for n in numbers if n is not None]
    if len(values) == 1:
        return max(values[0], 0)
    return max(len(range(*values[:3])), 0)


def _changes(body: list[ast.stmt]) -> Iterator[tuple[ast.AST, str, str]]:
    """(where, name, kind) for names the statements bind or mutate in their own scope;
    kind is ``assign``, ``mutate`` or ``import``. Compound statements are entered, so that
    the place is the simple statement, not the block that holds it."""
    for stmt in body:
        if isinstance(stmt, (ast.If, ast.While)):
            yield from _changes(stmt.body)
            yield from _changes(stmt.orelse)
        elif isinstance(stmt, (ast.For, ast.AsyncFor)):
            for name in _target_names(stmt.target):
                yield stmt, name, "assign"
            yield from _changes(stmt.body)
            yield from _changes(stmt.orelse)
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            for item in stmt.items:
                if item.optional_vars is not None:
                    for name in _target_names(item.optional_vars):
                        yield stmt, name, "assign"
            yield from _changes(stmt.body)
        elif isinstance(stmt, (ast.Try, getattr(ast, "TryStar", ast.Try))):
            blocks = [stmt.body, stmt.orelse, stmt.finalbody]  # type: ignore[attr-defined]
            blocks += [h.body for h in stmt.handlers]  # type: ignore[attr-defined]
            for block in blocks:
                yield from _changes(block)
        else:
            kind = "import" if isinstance(stmt, (ast.Import, ast.ImportFrom)) else "assign"
            for name in bindings(stmt):
                yield stmt, name, kind
            for name in mutated_roots(stmt):
                yield stmt, name, "mutate"


def _target_names(target: ast.expr) -> Iterator[str]:
    for node in walk(target):
        if isinstance(node, ast.Name):
            yield node.id
