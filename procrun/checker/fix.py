"""``procrun fix``: rewrite a multiprocessing script to the guarded, spawn-safe idiom.

The core is pure: :func:`fix_source` takes the text of a module and returns a
:class:`FixResult` (the new text, what was applied, what was refused); the decisions are
made on the ``ast`` by :mod:`procrun.checker.fix_plan`, the edit is made here with libcst.
The command line (:mod:`procrun.checker.fix_files`) reads files, calls it, writes or diffs.

    >>> result = fix_source(open("job.py").read(), "job.py")
    >>> result.changed, result.applied, result.refused

A file is fixed when ``procrun check`` (:func:`procrun.checker.engine.check_source`)
reports **PR001** (a process started at import time) or **PR002** (``freeze_support()``
missing, or not first in the main guard) in it: the same judgement, ``multiprocessing``,
``concurrent.futures`` and ``processing`` spellings through any alias, and the same
``# procrun: ignore[PR001]`` comments. Then:

- every top-level statement that is not a definition (the launcher's own classification,
  :func:`procrun.guard.split_module`) goes under ``if __name__ == "__main__":``, in order.
  Definitions stay where they are, so a spawned child that imports the fixed script gets
  exactly what ``procrun`` replays in it. The statements are gathered into one guard at the
  end (an existing guard is reused) when moving them past the definitions in between cannot
  change anything: those are ``def``, ``class`` or inert assignments that call none of the
  script's own code and bind names no earlier statement binds. Any other definition (an
  import, a set-up call, an ``if`` block of definitions, a rebinding) keeps the statements
  before it in a guard of their own, in place. An inert assignment whose names only later
  actions use and change (``counts = {}`` before the loop that fills it) joins the guard;
- ``freeze_support()`` becomes the first statement of the first guard: an existing call is
  moved there; otherwise one is added, spelled after the file's imports (``freeze_support()``,
  ``mp.freeze_support()``, ``processing.freezeSupport()``, the name added to an existing
  ``from multiprocessing|processing import ...``, or a new
  ``from multiprocessing import freeze_support``). A guard that opens with a call of a
  module-level function whose own first statement is ``freeze_support()`` counts, as in the
  checker.

Refused (the file is left unchanged, each reason reported with its line), because the fixed
script would differ from ``procrun`` on the original in a child under plain ``python`` with
spawn, where ``procrun`` copies globals and pickles functions by value:

- a global that a function running in children reads (a function used as a value anywhere:
  a ``Process`` target, a pool function, an initializer, a callback; any class's methods;
  what those read) but that only the main process sets: bound or changed in place by a
  statement the fix guards, bound under an existing guard, or changed by a main-process
  function (``global x``, or in place). Modules changed in place (``sys.path.insert``) do not
  count: children import modules themselves;
- a lambda, a nested function, a module-level lambda or a function defined by a guarded
  statement, sent to children as a ``Process`` target or initializer, or to a pool's
  ``map``/``apply``/``submit``/... .

Comments and the formatting of every statement are kept; moved statements take the guard's
indentation (the file's own: spaces or tabs) and the comments above a moved statement move
with it; newlines keep the file's style. A file without PR001 or PR002 (one that starts no
processes, a library module, a file already in the guarded idiom) is returned unchanged, the
very same string. Fixing a fixed file changes nothing.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import libcst as cst

from procrun.checker.fix_plan import GuardBlock, Plan, Refusal, is_main_guard, make_plan

__all__ = ["FixResult", "Refusal", "SourceError", "fix_source"]

_Statement = cst.SimpleStatementLine | cst.BaseCompoundStatement


class SourceError(ValueError):
    """The source cannot be fixed because it cannot be parsed; the message says why."""


@dataclass(frozen=True)
class FixResult:
    """The outcome of :func:`fix_source`: ``source`` is ``original`` when nothing changed."""

    path: str
    original: str
    source: str
    #: what was done, one line each, with the rule code (``PR001: ...``)
    applied: list[str] = field(default_factory=list)
    #: why the file was left unchanged (empty unless it was)
    refused: list[Refusal] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.source != self.original


def fix_source(source: str, path: str = "<string>", frozen: bool | None = None) -> FixResult:
    """Fix ``source`` (the text of the module at ``path``); raises :class:`SourceError`.

    ``frozen`` is the checker's (see :func:`procrun.checker.engine.check_source`): a guarded
    script lacking ``freeze_support()`` is fixed only where the program is frozen."""
    from procrun.checker.engine import check_source
    from procrun.checker.rules import RULES

    tree = _parse(source, path)
    fixable = [rule.code for rule in RULES if rule.fixable]
    if not check_source(source, path, select=fixable, frozen=frozen):
        return FixResult(path, source, source)
    plan = make_plan(tree, source)
    if plan.refusals or not plan.layout:
        return FixResult(path, source, source, refused=list(plan.refusals))
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        raise SourceError(f"syntax error: {str(error).splitlines()[0]}") from None
    new_source = _Editor(module, tree, plan).edit().code
    try:
        ast.parse(new_source, path)
    except SyntaxError as error:  # a bug of ours; never write such a file
        raise SourceError(f"internal error: the fixed source does not parse ({error})") from None
    return FixResult(path, source, new_source, applied=list(plan.applied))


def _parse(source: str, path: str) -> ast.Module:
    # The checker's parse: one wording for binary files, Python 2 and syntax errors.
    from procrun.checker.engine import SourceError as CheckerSourceError
    from procrun.checker.engine import parse_source

    try:
        return parse_source(source, path)
    except CheckerSourceError as error:
        raise SourceError(str(error)) from None


@dataclass(frozen=True)
class _Unit:
    """One ``ast`` statement as libcst holds it: a whole statement, or one small
    statement (``part``) of a line of several (``a = 1; b = 2``)."""

    node: _Statement
    part: int | None = None


def _units(statements: Sequence[cst.BaseStatement]) -> list[_Unit]:
    units: list[_Unit] = []
    for node in statements:
        if isinstance(node, cst.SimpleStatementLine) and len(node.body) > 1:
            units += [_Unit(node, k) for k in range(len(node.body))]
        else:
            assert isinstance(node, (cst.SimpleStatementLine, cst.BaseCompoundStatement))
            units.append(_Unit(node))
    return units


def _block_units(guard: cst.If) -> list[_Unit]:
    body = guard.body
    if isinstance(body, cst.SimpleStatementSuite):
        # The comment after a one-line guard stays on the ``if`` line (see ``_guard``).
        line = cst.SimpleStatementLine(body=body.body)
        return _units([line])
    assert isinstance(body, cst.IndentedBlock)
    return _units(body.body)


def _render(units: Sequence[_Unit]) -> list[_Statement]:
    """Statements for ``units``; small statements of one line that stay together are kept
    as that line, the others become lines of their own."""
    out: list[_Statement] = []
    i = 0
    while i < len(units):
        unit = units[i]
        if unit.part is None:
            out.append(unit.node)
            i += 1
            continue
        line = unit.node
        assert isinstance(line, cst.SimpleStatementLine)
        parts = [unit.part]
        while (
            i + len(parts) < len(units)
            and units[i + len(parts)].node is line
            and units[i + len(parts)].part == parts[-1] + 1
        ):
            parts.append(parts[-1] + 1)
        i += len(parts)
        if len(parts) == len(line.body):
            out.append(line)
            continue
        small = [line.body[k] for k in parts]
        small[-1] = small[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
        first, last = parts[0] == 0, parts[-1] == len(line.body) - 1
        out.append(
            cst.SimpleStatementLine(
                body=small,
                leading_lines=line.leading_lines if first else (),
                trailing_whitespace=line.trailing_whitespace if last else cst.TrailingWhitespace(),
            )
        )
    return out


def _split_leading(node: _Statement) -> tuple[list[cst.EmptyLine], _Statement]:
    """(blank lines above the comments of ``node``, ``node`` without them)."""
    lines = list(node.leading_lines)
    blank = 0
    while blank < len(lines) and lines[blank].comment is None:
        blank += 1
    return lines[:blank], node.with_changes(leading_lines=lines[blank:])


def _cap_blank_lines(node: _Statement, most: int) -> _Statement:
    lines: list[cst.EmptyLine] = []
    run = 0
    for line in node.leading_lines:
        run = run + 1 if line.comment is None else 0
        if line.comment is not None or run <= most:
            lines.append(line)
    return node.with_changes(leading_lines=lines)


def _blank_lines(node: cst.CSTNode) -> int:
    """How many blank lines are above ``node`` (above its comments)."""
    lines = getattr(node, "leading_lines", ())
    count = 0
    while count < len(lines) and lines[count].comment is None:
        count += 1
    return count


_Node = TypeVar("_Node", bound=cst.CSTNode)


def _at_least_blank_lines(node: _Node, count: int) -> _Node:
    missing = count - _blank_lines(node)
    if missing <= 0:
        return node
    blank = [cst.EmptyLine(indent=False)] * missing
    return node.with_changes(leading_lines=[*blank, *getattr(node, "leading_lines", ())])


class _BlankLinesUnindented(cst.CSTTransformer):
    def leave_EmptyLine(self, original: cst.EmptyLine, updated: cst.EmptyLine) -> cst.EmptyLine:
        if updated.comment is None:
            return updated.with_changes(indent=False, whitespace=cst.SimpleWhitespace(""))
        return updated


def _indented(node: _Statement) -> _Statement:
    """``node``, moved one block deeper: blank lines stay empty (no trailing spaces)."""
    result = node.visit(_BlankLinesUnindented())
    assert isinstance(result, (cst.SimpleStatementLine, cst.BaseCompoundStatement))
    return result


class _Editor:
    def __init__(self, module: cst.Module, tree: ast.Module, plan: Plan) -> None:
        self.module = module
        self.tree = tree
        self.plan = plan
        self.units = _units(module.body)
        if len(self.units) != len(tree.body):
            raise SourceError("internal error: libcst and ast disagree on the statements")
        extend = plan.freeze.extend_import if plan.freeze else None
        if extend is not None:
            self._extend_import(*extend)

    def edit(self) -> cst.Module:
        plan = self.plan
        freeze = plan.freeze
        assert freeze is not None
        first_guard = True
        # (top-level index of a kept statement or None, what goes there), in order
        items: list[tuple[int | None, _Unit | cst.BaseStatement]] = []
        placed: set[int] = set()
        for item in plan.layout:
            if isinstance(item, int):
                unit = self.units[item]
                start = item
                while start > 0 and start - 1 not in placed:
                    start -= 1
                if start < item and unit.part in (None, 0):
                    # Statements moved away from above: keep the gap they left.
                    gap = _blank_lines(self.units[start].node)
                    unit = _Unit(_at_least_blank_lines(unit.node, gap), unit.part)
                items.append((item, unit))
                placed.add(item)
            else:
                guard = self._guard(item, with_freeze=first_guard)
                if item.reuse is None and items:
                    previous = items[-1][1]
                    node = previous.node if isinstance(previous, _Unit) else previous
                    if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
                        # as far from the definition above as that one is from its own
                        guard = _at_least_blank_lines(guard, _blank_lines(node))
                items.append((None, guard))
                placed.update(item.members)
                first_guard = False
        if freeze.new_import is not None:
            text, after = freeze.new_import
            statement = cst.parse_statement(text + self.module.default_newline)
            position = 0
            if after >= 0:
                line = self.units[after].node
                position = 1 + max(
                    n for n, (index, _) in enumerate(items)
                    if index is not None and self.units[index].node is line
                )  # fmt: skip
            items.insert(position, (None, statement))
        return self.module.with_changes(body=self._flatten([item for _, item in items]))

    def _extend_import(self, index: int, name: str) -> None:
        """Add ``name`` to the ``from ... import ...`` statement ``index``."""
        unit = self.units[index]
        line = unit.node
        assert isinstance(line, cst.SimpleStatementLine)
        k = unit.part or 0
        statement = line.body[k]
        assert isinstance(statement, cst.ImportFrom) and not isinstance(
            statement.names, cst.ImportStar
        )
        names = list(statement.names)
        last = names[-1]
        space = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        if isinstance(last.comma, cst.Comma):  # a trailing comma: keep the layout's
            new = cst.ImportAlias(name=cst.Name(name), comma=last.comma)
            names[-1] = last.with_changes(comma=names[-2].comma if len(names) > 1 else space)
        else:
            new = cst.ImportAlias(name=cst.Name(name))
            names[-1] = last.with_changes(comma=space)
        body = list(line.body)
        body[k] = statement.with_changes(names=[*names, new])
        changed = line.with_changes(body=body)
        # every small statement of the line must refer to the same new line
        self.units = [_Unit(changed, u.part) if u.node is line else u for u in self.units]

    def _flatten(self, items: list[_Unit | cst.BaseStatement]) -> list[cst.BaseStatement]:
        out: list[cst.BaseStatement] = []
        run: list[_Unit] = []
        for item in items:
            if isinstance(item, _Unit):
                run.append(item)
            else:
                out += _render(run)
                run = []
                out.append(item)
        return out + _render(run)

    # -- guards ------------------------------------------------------------------------

    def _guard(self, block: GuardBlock, with_freeze: bool) -> cst.BaseStatement:
        removed = self.plan.removed_freezes
        members: list[_Statement] = []
        run: list[_Unit] = []  # moved top-level statements, rendered together

        def flush() -> None:
            statements = [_indented(s) for s in _render(run)]
            members.extend(_cap_blank_lines(s, 1) if members else s for s in statements)
            run.clear()

        for index in block.members:
            unit = self.units[index]
            if not is_main_guard(self.tree.body[index]):
                run.append(unit)
                continue
            flush()
            assert isinstance(unit.node, cst.If)
            inner = _block_units(unit.node)
            inner = [u for k, u in enumerate(inner) if (index, k) not in removed]
            statements = _render(inner)
            if index != block.reuse and statements:
                statements[0] = _cap_blank_lines(statements[0], 1)
            members += statements
        flush()
        leading: list[cst.EmptyLine] = []
        if members and block.members[0] != block.reuse:
            leading, members[0] = _split_leading(members[0])
            leading = [line.with_changes(indent=False) for line in leading]
        if with_freeze:
            members.insert(0, self._freeze_statement())
        if block.reuse is not None:
            guard = self.units[block.reuse].node
            assert isinstance(guard, cst.If)
            if isinstance(guard.body, cst.IndentedBlock):
                body = guard.body.with_changes(body=members)
            else:
                assert isinstance(guard.body, cst.SimpleStatementSuite)
                body = cst.IndentedBlock(body=members, header=guard.body.trailing_whitespace)
            return guard.with_changes(body=body)
        newline, indent = self.module.default_newline, self.module.default_indent
        template = cst.parse_statement(
            f'if __name__ == "__main__":{newline}{indent}pass{newline}',
            config=self.module.config_for_parsing,
        )
        assert isinstance(template, cst.If)
        return template.with_changes(leading_lines=leading, body=cst.IndentedBlock(body=members))

    def _freeze_statement(self) -> _Statement:
        freeze = self.plan.freeze
        assert freeze is not None
        if freeze.existing is None:
            statement = cst.parse_statement(freeze.text + self.module.default_newline)
            assert isinstance(statement, cst.SimpleStatementLine)
            return statement
        index, inner = freeze.existing
        if inner is None:
            (statement,) = _render([self.units[index]])
        else:
            guard = self.units[index].node
            assert isinstance(guard, cst.If)
            (statement,) = _render([_block_units(guard)[inner]])
        return _split_leading(statement)[1]
