"""What ``procrun fix`` does to a module, decided on the ``ast`` alone (no libcst here).

Whether a module needs fixing is the checker's call (PR001, PR002). The plan then says which
top-level statements stay where they are (definitions, as :func:`procrun.guard.split_module`
classifies them), which go under a main guard and in which order, how ``freeze_support()``
is spelled and where it comes from, and which constructs make the fix refuse the file
because the result would not behave under plain ``python`` with spawn as the original does
under ``procrun``. :mod:`procrun.checker.fix` turns the plan into an edit.
"""

from __future__ import annotations

import ast
import builtins
import symtable
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum

from procrun.checker.names import POOL_FUNCTION_METHODS, ROLES
from procrun.guard import (
    BUILTIN_FACTORIES,
    DEFINITION_FACTORIES,
    bindings,
    imported_names,
    mutated_roots,
    split_module,
)

#: Roles (:data:`procrun.checker.names.ROLES`) of the calls that make a process, a pool of
#: processes or a manager (whose functions, once started, run in children).
STARTER_ROLES = frozenset({"Process", "Pool", "Manager", "ManagerClass", "ProcessPoolExecutor"})

PROCESS_STARTERS = frozenset(name for name, role in ROLES.items() if role in STARTER_ROLES)
FREEZE_SUPPORT = frozenset(name for name, role in ROLES.items() if role == "freeze_support")

#: Modules whose functions build values without reading the script's globals or changing
#: anything another statement could see: definitions calling only these may run earlier.
PURE_MODULES = frozenset(
    {
        "abc", "collections", "dataclasses", "decimal", "enum", "fractions", "functools",
        "itertools", "math", "operator", "re", "string", "struct", "textwrap", "types",
        "typing", "typing_extensions",
    }
)  # fmt: skip

_BUILTIN_NAMES = frozenset(dir(builtins))


class Kind(Enum):
    DEFINITION = "definition"
    ACTION = "action"
    GUARD = "guard"  # an existing ``if __name__ == "__main__":`` without ``else``


@dataclass(frozen=True)
class Refusal:
    """Why the fix leaves a file unchanged: a line and a one-line message."""

    line: int
    message: str


@dataclass
class GuardBlock:
    """One ``if __name__ == "__main__":`` of the result, made of top-level statements.

    ``members`` are indexes into the module body, in order; a member that is an existing
    guard contributes its body. ``reuse`` is the existing guard whose header is kept.
    """

    members: list[int]
    reuse: int | None = None


@dataclass(frozen=True)
class FreezeCall:
    """Where ``freeze_support()`` comes from and how it is spelled."""

    #: (top-level index, index in that guard's body or None) of a call to move, if any
    existing: tuple[int, int | None] | None
    #: the call's text when a new one is written, e.g. ``multiprocessing.freeze_support()``
    text: str
    #: a ``from X import *name*`` statement (top-level index) to extend with ``name``
    extend_import: tuple[int, str] | None = None
    #: a new import statement's text, and the top-level index it goes after (-1: the start)
    new_import: tuple[str, int] | None = None


@dataclass
class Plan:
    """The whole fix of one module; ``layout`` is the new top level, in order."""

    #: each item: a top-level index kept as is, or a guard block
    layout: list[int | GuardBlock] = field(default_factory=list)
    freeze: FreezeCall | None = None
    refusals: list[Refusal] = field(default_factory=list)
    #: what the fix does, one line each (empty when nothing changes)
    applied: list[str] = field(default_factory=list)
    #: statements guarded by the fix that were outside any guard (top-level indexes)
    moved: list[int] = field(default_factory=list)
    #: ``freeze_support()`` calls taken from their place: (top-level index, index in that
    #: guard's body or None)
    removed_freezes: set[tuple[int, int | None]] = field(default_factory=set)


def is_main_guard(stmt: ast.stmt) -> bool:
    """``if __name__ == "__main__":`` (either way round), with no ``else``."""
    if not isinstance(stmt, ast.If) or stmt.orelse:
        return False
    test = stmt.test
    if not (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.Eq)
        and len(test.comparators) == 1
    ):
        return False
    sides = (test.left, test.comparators[0])
    has_name = any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides)
    has_main = any(isinstance(s, ast.Constant) and s.value == "__main__" for s in sides)
    return has_name and has_main


class _Names:
    """Qualified names through the module's imports (anywhere in the file)."""

    def __init__(self, tree: ast.Module, top_level_only: bool = False) -> None:
        self.aliases: dict[str, str] = {}
        nodes: list[ast.AST] = list(tree.body if top_level_only else ast.walk(tree))
        for node in nodes:
            self.aliases.update(imported_names(node))
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and not node.level
                and any(alias.name == "*" for alias in node.names)
            ):  # ``from multiprocessing import *`` brings the public names
                prefix = f"{node.module}."
                for name in ROLES:
                    rest = name[len(prefix) :]
                    if name.startswith(prefix) and "." not in rest:
                        self.aliases.setdefault(rest, name)
        if top_level_only:
            return
        # ``ctx = multiprocessing.get_context("spawn")``: ``ctx.Process`` starts processes too
        for node in nodes:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                context = self._context_module(node.value)
                if isinstance(target, ast.Name) and context is not None:
                    self.aliases.setdefault(target.id, context)

    def _context_module(self, node: ast.expr) -> str | None:
        if isinstance(node, ast.Call):
            name = self.qualified(node.func)
            if name is not None and name.endswith(".get_context"):
                root = name.split(".")[0]
                if root in ("multiprocessing", "processing"):
                    return root
        return None

    def qualified(self, node: ast.expr) -> str | None:
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id)
        if isinstance(node, ast.Attribute):
            base = self.qualified(node.value)
            return None if base is None else f"{base}.{node.attr}"
        if isinstance(node, ast.Call):
            return self._context_module(node)
        return None


def is_freeze_call(stmt: ast.stmt, names: _Names) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Call)
        and not stmt.value.args
        and not stmt.value.keywords
        and names.qualified(stmt.value.func) in FREEZE_SUPPORT
    )


def make_plan(tree: ast.Module, source: str) -> Plan:
    """Decide the fix of ``tree`` (parsed from ``source``), a module that the checker
    finds breaking PR001 or PR002."""
    names = _Names(tree)
    split = split_module(tree, source)
    body = tree.body
    kinds = [_kind(s, definition) for s, definition in zip(body, split.is_definition, strict=True)]
    top_names = _Names(tree, top_level_only=True)
    guards = [i for i, k in enumerate(kinds) if k is Kind.GUARD]
    loose = [i for i, k in enumerate(kinds) if k is Kind.ACTION]
    plan = Plan()

    freeze_at = _freeze_calls(body, kinds, top_names)
    moving = freeze_at[:1]  # the call that ends up first in the first guard
    loose = [i for i in loose if (i, None) not in moving]
    if not loose and (not guards or moving == [(guards[0], 0)]):
        return plan  # nothing this fix can change (the checker saw something else)

    plan.refusals = _refusals(tree, kinds, source, names)
    if plan.refusals:
        return plan

    if loose:
        plan.layout, absorbed = _layout(body, kinds, top_names)
        plan.moved = sorted(loose + absorbed)
    else:
        plan.layout = [i if kinds[i] is not Kind.GUARD else GuardBlock([i], i)
                       for i in range(len(body))]  # fmt: skip

    # The call that moves leaves its place; so do other calls that would end up in the
    # first guard after it (they would only repeat it); a guard left empty goes too.
    plan.removed_freezes = set(moving)
    _drop_removed_freezes(plan, body, kinds)
    first_block = next((item for item in plan.layout if isinstance(item, GuardBlock)), None)
    if first_block is None:
        return Plan()  # only freeze_support() calls to move: nothing runs to guard
    plan.removed_freezes.update(f for f in freeze_at[1:] if f[0] in first_block.members)
    _drop_removed_freezes(plan, body, kinds)
    plan.freeze = _freeze_spelling(tree, kinds, top_names, freeze_at)
    first = first_block
    plan.moved = [i for i in plan.moved if (i, None) not in plan.removed_freezes]
    if plan.moved:
        count = len(plan.moved)
        start, end = body[plan.moved[0]].lineno, body[plan.moved[-1]].lineno
        where = f"line {start}" if start == end else f"lines {start}-{end}"
        what = "1 statement" if count == 1 else f"{count} statements"
        blocks = sum(isinstance(item, GuardBlock) for item in plan.layout)
        into = "the main guard" if blocks == 1 else f"{blocks} main guards"
        plan.applied.append(f"PR001: {what} ({where}) moved under {into}")
    if not moving:
        plan.applied.append(
            f"PR002: {plan.freeze.text} added as the first statement of the main guard"
        )
    elif moving != [(first.members[0], 0)] or kinds[first.members[0]] is not Kind.GUARD:
        index, inner = moving[0]
        stmt = body[index]
        if inner is not None:
            assert isinstance(stmt, ast.If)
            stmt = stmt.body[inner]
        plan.applied.append(
            f"PR002: freeze_support() (line {stmt.lineno}) moved to the start of the main guard"
        )
    for index, inner in sorted(plan.removed_freezes - set(moving), key=str):
        stmt = body[index]
        if inner is not None:
            assert isinstance(stmt, ast.If)
            stmt = stmt.body[inner]
        plan.applied.append(
            f"PR002: freeze_support() (line {stmt.lineno}) removed: the guard calls it first"
        )
    return plan


def _drop_removed_freezes(plan: Plan, body: list[ast.stmt], kinds: list[Kind]) -> None:
    removed = plan.removed_freezes

    def gone(index: int) -> bool:
        stmt = body[index]
        if isinstance(stmt, ast.If) and kinds[index] is Kind.GUARD:
            return all((index, j) in removed for j in range(len(stmt.body)))
        return (index, None) in removed

    for item in plan.layout:
        if isinstance(item, GuardBlock):
            item.members = [i for i in item.members if not gone(i)]
            if item.reuse not in item.members:
                item.reuse = next((i for i in item.members if kinds[i] is Kind.GUARD), None)
    plan.layout = [
        item
        for item in plan.layout
        if (item.members if isinstance(item, GuardBlock) else not gone(item))
    ]


def _kind(stmt: ast.stmt, definition: bool) -> Kind:
    if is_main_guard(stmt):
        return Kind.GUARD
    return Kind.DEFINITION if definition else Kind.ACTION


def _freeze_calls(
    body: list[ast.stmt], kinds: list[Kind], names: _Names
) -> list[tuple[int, int | None]]:
    """Top-level and guard-level ``freeze_support()`` statements, in order."""
    found: list[tuple[int, int | None]] = []
    for i, stmt in enumerate(body):
        if kinds[i] is Kind.GUARD:
            assert isinstance(stmt, ast.If)
            found += [(i, j) for j, inner in enumerate(stmt.body) if is_freeze_call(inner, names)]
        elif kinds[i] is Kind.ACTION and is_freeze_call(stmt, names):
            found.append((i, None))
    return found


# -- layout ------------------------------------------------------------------------------


def _layout(
    body: list[ast.stmt], kinds: list[Kind], names: _Names
) -> tuple[list[int | GuardBlock], list[int]]:
    """Keep definitions in place; gather actions into as few guards as is safe.

    Pending actions move down past a later definition only if that definition is
    *transparent* (it cannot observe or change what the actions do: a ``def``, ``class``
    or inert assignment calling nothing of the script's own) and binds only names that no
    earlier statement binds, no function declares ``global`` and no builtin has. Any other
    definition ends the run: the actions before it are guarded in place.

    An inert assignment amid actions whose names only later actions use and change
    (``counts = {}`` before a loop that fills it) joins them instead of moving up: no
    function and no other definition reads it, so children never need it. Returns the
    layout and the indexes of such assignments.
    """
    read_by_definitions = {
        node.id
        for stmt, kind in zip(body, kinds, strict=True)
        if kind is Kind.DEFINITION and not isinstance(stmt, (ast.Assign, ast.AnnAssign))
        for node in ast.walk(stmt)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
    }
    for stmt, kind in zip(body, kinds, strict=True):
        if kind is Kind.DEFINITION and isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            value = stmt.value
            if value is not None:
                read_by_definitions.update(n.id for n in ast.walk(value) if isinstance(n, ast.Name))
    touched_after: list[set[str]] = [set() for _ in body]
    later: set[str] = set()
    for i in range(len(body) - 1, -1, -1):
        touched_after[i] = set(later)
        if kinds[i] is not Kind.DEFINITION:
            later.update(bindings(body[i]), mutated_roots(body[i]))
    absorbed: list[int] = []
    declared_global = {
        name for node in ast.walk(ast.Module(body=body, type_ignores=[]))
        if isinstance(node, ast.Global) for name in node.names
    }  # fmt: skip
    own = {name for stmt in body for name in bindings(stmt)}
    layout: list[int | GuardBlock] = []
    pending: list[int] = []
    bound_before: set[str] = set()

    def flush() -> None:
        if pending:
            reuse = next((i for i in pending if kinds[i] is Kind.GUARD), None)
            layout.append(GuardBlock(list(pending), reuse))
            pending.clear()

    for i, stmt in enumerate(body):
        if kinds[i] is Kind.DEFINITION:
            bound = set(bindings(stmt))
            if pending and (
                isinstance(stmt, (ast.Assign, ast.AnnAssign))
                and bound
                and bound <= touched_after[i]
                and not bound & (read_by_definitions | declared_global)
            ):
                pending.append(i)
                absorbed.append(i)
            else:
                if pending:
                    clash = bound & (bound_before | declared_global | _BUILTIN_NAMES)
                    if clash or not _transparent(stmt, names, own):
                        flush()
                layout.append(i)
        else:
            pending.append(i)
        bound_before.update(bindings(stmt))
    flush()
    return layout, absorbed


def _transparent(stmt: ast.stmt, names: _Names, own: set[str]) -> bool:
    """True if running ``stmt`` before earlier actions cannot change what either does."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        parts: list[ast.AST] = [*stmt.decorator_list]
        if isinstance(stmt, ast.ClassDef):
            parts += [*stmt.bases, *(k.value for k in stmt.keywords)]
            parts += [
                s for s in stmt.body if not isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))
            ]
        else:
            parts += [*stmt.args.defaults, *(d for d in stmt.args.kw_defaults if d)]
        decorators_ok = all(_pure_callable(d, names, own) for d in stmt.decorator_list)
        return decorators_ok and all(_calls_are_pure(p, names, own) for p in parts)
    if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
        return stmt.value is None or _calls_are_pure(stmt.value, names, own)
    if isinstance(stmt, ast.Expr):
        return isinstance(stmt.value, ast.Constant)
    return isinstance(stmt, ast.Pass)


def _calls_are_pure(node: ast.AST, names: _Names, own: set[str]) -> bool:
    return all(
        _pure_callable(n.func, names, own) for n in ast.walk(node) if isinstance(n, ast.Call)
    )


def _pure_callable(func: ast.expr, names: _Names, own: set[str]) -> bool:
    if isinstance(func, ast.Call):
        return _pure_callable(func.func, names, own)
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Constant):
        return True  # "-".join(...)
    if isinstance(func, ast.Name) and func.id not in names.aliases:
        return func.id in BUILTIN_FACTORIES and func.id not in own
    qualified = names.qualified(func)
    if qualified is None:
        return False
    root = qualified.split(".")[0]
    # The launcher's definition factories, except those that read the process's state
    # (working directory, environment), which an earlier action may have changed.
    return root in PURE_MODULES or (
        qualified in DEFINITION_FACTORIES and root not in ("os", "pathlib", "sys")
    )


# -- freeze_support ----------------------------------------------------------------------


def _freeze_spelling(
    tree: ast.Module,
    kinds: list[Kind],
    names: _Names,
    found: list[tuple[int, int | None]],
) -> FreezeCall:
    body = tree.body
    first_action = min(i for i, k in enumerate(kinds) if k is not Kind.DEFINITION)
    if found:
        return FreezeCall(existing=found[0], text="")
    bound = {name for stmt in body for name in bindings(stmt)}
    imports = [(i, s) for i, s in enumerate(body[:first_action])
               if isinstance(s, (ast.Import, ast.ImportFrom))]  # fmt: skip
    # a name already imported for it
    for _, stmt in imports:
        if isinstance(stmt, ast.ImportFrom):
            for alias in stmt.names:
                local = alias.asname or alias.name
                if f"{stmt.module}.{alias.name}" in FREEZE_SUPPORT and not stmt.level:
                    return FreezeCall(None, f"{local}()")
    # a module alias: ``import multiprocessing as mp`` -> ``mp.freeze_support()``
    for _, stmt in imports:
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                module = alias.name if alias.asname else alias.name.split(".")[0]
                local = alias.asname or module
                if module in ("processing", "multiprocessing"):
                    attr = "freezeSupport" if module == "processing" else "freeze_support"
                    return FreezeCall(None, f"{local}.{attr}()")
    # ``from processing import Process`` -> ``from processing import Process, freezeSupport``
    for i, stmt in imports:
        if (
            isinstance(stmt, ast.ImportFrom)
            and stmt.module in ("processing", "multiprocessing")
            and not stmt.level
        ):
            attr = "freezeSupport" if stmt.module == "processing" else "freeze_support"
            star = any(alias.name == "*" for alias in stmt.names)
            if attr in bound and not star:
                continue
            if star:
                return FreezeCall(None, f"{attr}()")
            return FreezeCall(None, f"{attr}()", extend_import=(i, attr))
    after = imports[-1][0] if imports else _start_of_code(body)
    if "freeze_support" in bound:
        return FreezeCall(
            None, "multiprocessing.freeze_support()", new_import=("import multiprocessing", after)
        )
    return FreezeCall(
        None,
        "freeze_support()",
        new_import=("from multiprocessing import freeze_support", after),
    )


def _start_of_code(body: list[ast.stmt]) -> int:
    """The index after the docstring and ``__future__`` imports (-1: before everything)."""
    after = -1
    for i, stmt in enumerate(body):
        docstring = i == 0 and isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
        future = isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__"
        if not (docstring or future):
            break
        after = i
    return after


# -- refusals ----------------------------------------------------------------------------

_Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


def _refusals(tree: ast.Module, kinds: list[Kind], source: str, names: _Names) -> list[Refusal]:
    """What would break in a child under plain ``python`` with spawn after the fix."""
    body = tree.body
    definitions: dict[str, _Definition] = {
        s.name: s
        for s, k in zip(body, kinds, strict=True)
        if k is Kind.DEFINITION and isinstance(s, _Definition)
    }
    reads = _global_reads(source)
    workers = _worker_closure(tree, definitions, reads)

    # Where each name gets a value that a spawned child does not: statements that run only
    # in the main process, and main-process functions that rebind or mutate globals.
    # A module changed in place (``sys.path.insert``, ``os.environ[k] = v``) is not copied:
    # procrun, like a child's own import, gives children the module itself.
    modules = {
        name
        for stmt, kind in zip(body, kinds, strict=True)
        if kind is Kind.DEFINITION and isinstance(stmt, (ast.Import, ast.ImportFrom))
        for name in bindings(stmt)
    }
    changed_at: dict[str, str] = {}
    for i, stmt in enumerate(body):
        if kinds[i] is not Kind.DEFINITION:
            mutated = [name for name in mutated_roots(stmt) if name not in modules]
            for name in [*bindings(stmt), *mutated]:
                changed_at.setdefault(name, f"set at line {stmt.lineno} in the main process only")
    for name, node in definitions.items():
        if name not in workers and not isinstance(node, ast.ClassDef):
            for changed in _globals_changed_by(node, modules):
                changed_at.setdefault(
                    changed, f"changed by '{name}' (line {node.lineno}) in the main process"
                )

    refusals = [
        Refusal(
            definitions[worker].lineno,
            f"not fixed: global '{name}' ({changed_at[name]}) is read by '{worker}', "
            f"which runs in child processes: pass it to '{worker}' as an argument",
        )
        for worker in sorted(workers, key=lambda w: definitions[w].lineno)
        for name in sorted(reads.get(worker, ()))
        if name in changed_at and name not in definitions
    ]
    refusals += _unpicklable_callables(tree, kinds, definitions, names)
    return sorted(refusals, key=lambda r: r.line)


def _global_reads(source: str) -> dict[str, set[str]]:
    """Top-level function or class name -> globals its code reads when it runs."""
    table = symtable.symtable(source, "<fix>", "exec")
    reads: dict[str, set[str]] = {}

    def collect(child: symtable.SymbolTable, into: set[str]) -> None:
        if child.get_type() != "class":  # a class body runs when the class is defined
            into.update(
                s.get_name() for s in child.get_symbols() if s.is_global() and s.is_referenced()
            )
        for grandchild in child.get_children():
            collect(grandchild, into)

    for child in table.get_children():
        if child.get_type() in ("function", "class"):
            collect(child, reads.setdefault(child.get_name(), set()))
    return reads


def _value_references(tree: ast.Module) -> set[str]:
    """Names used as values (passed, stored), not only called, anywhere in the module."""
    called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    return {
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and id(node) not in called
    }


def _worker_closure(
    tree: ast.Module, definitions: Mapping[str, _Definition], reads: dict[str, set[str]]
) -> set[str]:
    """Module-level functions and classes whose code may run in a child process.

    A function may run there if it is used as a value anywhere (a ``Process`` target, a
    ``Pool.map`` function, an initializer, a callback stored for later); every class may
    (its instances travel); and so may whatever those read.
    """
    values = _value_references(tree)
    todo = [
        name
        for name, node in definitions.items()
        if name in values or isinstance(node, ast.ClassDef)
    ]
    closure: set[str] = set()
    while todo:
        name = todo.pop()
        if name not in closure:
            closure.add(name)
            todo += [n for n in reads.get(name, ()) if n in definitions]
    return closure


def _globals_changed_by(
    function: ast.FunctionDef | ast.AsyncFunctionDef, modules: set[str]
) -> Iterator[str]:
    """Globals that ``function`` rebinds (``global x``) or mutates in place (modules
    aside)."""
    declared = {
        n for node in ast.walk(function) if isinstance(node, ast.Global) for n in node.names
    }  # fmt: skip
    args = function.args
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
    local = {a.arg for a in every if a is not None}
    for stmt in function.body:
        local.update(bindings(stmt))
    local -= declared
    yield from declared
    for stmt in function.body:
        yield from (n for n in mutated_roots(stmt) if n not in local and n not in modules)


def _unpicklable_callables(
    tree: ast.Module, kinds: list[Kind], definitions: Mapping[str, _Definition], names: _Names
) -> list[Refusal]:
    """Callables sent to a child that plain pickle cannot send: it sends functions by
    name, and a child finds only the module-level definitions its import runs."""
    executors: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and _starts(node.value, names):
            executors.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            executors.update(
                item.optional_vars.id
                for item in node.items
                if isinstance(item.optional_vars, ast.Name) and _starts(item.context_expr, names)
            )
    # functions and classes that only main-process statements define
    main_only = {
        node.name: f"defined at line {node.lineno} in the main process only"
        for stmt, kind in zip(tree.body, kinds, strict=True)
        if kind is not Kind.DEFINITION
        for node in ast.walk(stmt)
        if isinstance(node, _Definition)
    }
    lambdas = {
        target.id
        for stmt in tree.body
        if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Lambda)
        for target in stmt.targets
        if isinstance(target, ast.Name)
    }
    refusals: list[Refusal] = []
    for scope, call in _calls_with_scope(tree):
        sent: list[ast.expr] = []
        if _starts(call, names):
            sent += [k.value for k in call.keywords if k.arg in ("target", "initializer")]
        elif (
            isinstance(call.func, ast.Attribute)
            and call.func.attr in POOL_FUNCTION_METHODS
            and isinstance(call.func.value, ast.Name)
            and call.func.value.id in executors
        ):
            sent += call.args[:1] + [k.value for k in call.keywords if k.arg in ("func", "fn")]
        for value in sent:
            what = _unpicklable(value, scope, definitions, main_only, lambdas)
            if what:
                refusals.append(
                    Refusal(
                        call.lineno,
                        f"not fixed: {what} is sent to child processes, which plain pickle "
                        "cannot do (it sends functions by name): make it a module-level "
                        "function",
                    )
                )
    return refusals


def _starts(node: ast.expr, names: _Names) -> bool:
    return isinstance(node, ast.Call) and names.qualified(node.func) in PROCESS_STARTERS


def _unpicklable(
    value: ast.expr,
    scope: ast.FunctionDef | ast.AsyncFunctionDef | None,
    definitions: Mapping[str, _Definition],
    main_only: dict[str, str],
    lambdas: set[str],
) -> str | None:
    if isinstance(value, ast.Lambda):
        return "a lambda"
    if not isinstance(value, ast.Name):
        return None
    name = value.id
    if scope is not None:
        nested = (n for n in ast.walk(scope) if n is not scope and isinstance(n, _Definition))
        if any(n.name == name for n in nested):
            return f"nested function '{name}'"
        if name in {n for stmt in scope.body for n in bindings(stmt)}:
            return None  # some local value: not known here
    if name in definitions:
        return None
    if name in main_only:
        return f"'{name}' ({main_only[name]})"
    if name in lambdas:
        return f"lambda '{name}'"
    return None


def _calls_with_scope(
    tree: ast.Module,
) -> Iterator[tuple[ast.FunctionDef | ast.AsyncFunctionDef | None, ast.Call]]:
    """Every call, with the top-level function it is in (None: module level)."""
    for stmt in tree.body:
        scope = stmt if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) else None
        for node in ast.walk(stmt):
            if isinstance(node, ast.Call):
                yield scope, node
