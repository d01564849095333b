"""The file side of ``procrun fix``: find, read, decode, fix, write back or diff.

Files are read as bytes and decoded as Python does (PEP 263 declaration or BOM, else
UTF-8), with their newlines untouched, so the fixed file keeps the original's encoding,
BOM and newline style. A fixed file is written atomically: a temporary file in the same
directory, with the original's permission bits (and owner, where permitted), then
``os.replace`` over the original (through a symbolic link, onto its target). A file that
cannot be read, decoded or parsed is reported in one line, ``PATH: error: ...``, never
written, and the other files are still processed. Directories are searched as
``procrun check`` searches them (:func:`procrun.checker.files.discover`).

Exit status: 2 if any file or path had an error; else 1 if a file was refused, or, with
``--check`` or ``--diff``, if a file would change; else 0.
"""

from __future__ import annotations

import difflib
import io
import os
import stat
import sys
import tempfile
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TextIO

from procrun.checker.config import ConfigError, Settings
from procrun.checker.files import Missing, discover
from procrun.checker.fix import FixResult, SourceError, fix_source
from procrun.checker.freezing import ProjectFreezing
from procrun.checker.streams import tolerant


@dataclass
class _Outcome:
    errors: int = 0
    refused: int = 0
    changed: int = 0


def run_fix(
    paths: list[str],
    *,
    diff: bool = False,
    check: bool = False,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Fix the Python files at ``paths`` (files or directories); the exit status."""
    out = stdout if stdout is not None else tolerant(sys.stdout)
    err = stderr if stderr is not None else tolerant(sys.stderr)
    if not paths:
        err.write("procrun: error: fix needs at least one PATH (a file or a directory)\n")
        return 2
    outcome = _Outcome()
    settings, evidence = Settings(), ProjectFreezing()
    try:
        for path in _python_files(paths, err, outcome):
            frozen = evidence.for_file(path, settings.for_file(path))
            _fix_file(path, diff, check, out, err, outcome, frozen)
    except ConfigError as error:
        out.flush()
        err.write(f"procrun: error: {error}\n")
        return 2
    out.flush()
    if outcome.errors:
        return 2
    if outcome.refused or ((diff or check) and outcome.changed):
        return 1
    return 0


def _python_files(paths: list[str], err: TextIO, outcome: _Outcome) -> Iterator[str]:
    """Each file named, and the ``*.py`` files under each directory named (the checker's
    discovery: version control, virtual environments and build output are skipped)."""
    for found in discover(paths):
        if isinstance(found, Missing):
            err.write(f"{found.path}: error: No such file or directory\n")
            outcome.errors += 1
        else:
            yield found


def _fix_file(
    path: str,
    diff: bool,
    check: bool,
    out: TextIO,
    err: TextIO,
    outcome: _Outcome,
    frozen: bool | None = None,
) -> None:
    try:
        with open(path, "rb") as file:
            data = file.read()
        text, encoding = decode(data)
        result = fix_source(text, path, frozen)
    except OSError as error:
        err.write(f"{path}: error: cannot read: {error.strerror or error}\n")
        outcome.errors += 1
        return
    except SourceError as error:
        err.write(f"{path}: error: {error}\n")
        outcome.errors += 1
        return
    for refusal in result.refused:
        out.write(f"{path}:{refusal.line}: {refusal.message}\n")
    outcome.refused += bool(result.refused)
    if not result.changed:
        return
    outcome.changed += 1
    if diff:
        out.write(unified_diff(result))
        return
    if check:
        for applied in result.applied:
            out.write(f"{path}: would fix: {applied}\n")
        return
    try:
        write_atomically(path, result.source.encode(encoding))
    except (OSError, UnicodeEncodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else str(error)
        err.write(f"{path}: error: cannot write: {reason or error}; the file is unchanged\n")
        outcome.errors += 1
        return
    for applied in result.applied:
        out.write(f"{path}: fixed: {applied}\n")


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding) of Python source bytes; raises :class:`SourceError`."""
    if b"\0" in data:
        raise SourceError("binary file (it contains null bytes)")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as error:  # an unknown or inconsistent encoding declaration
        raise SourceError(str(error.msg if hasattr(error, "msg") else error)) from None
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError as error:
        declared = encoding not in ("utf-8", "utf-8-sig")
        what = f"not valid {encoding}" if declared else "not UTF-8 and no encoding declaration"
        raise SourceError(f"{what}: byte {error.start + 1}") from None


def unified_diff(result: FixResult) -> str:
    """The change as a unified diff, file names as given."""
    lines = difflib.unified_diff(
        result.original.splitlines(keepends=True),
        result.source.splitlines(keepends=True),
        fromfile=result.path,
        tofile=result.path,
    )
    text = "".join(line if line.endswith("\n") else line + "\n" for line in lines)
    return text


def write_atomically(path: str, data: bytes) -> None:
    """Replace the file at ``path`` with ``data`` in one step, keeping its mode (and its
    owner, where permitted)."""
    target = os.path.realpath(path)
    directory = os.path.dirname(target)
    status = os.stat(target)
    descriptor, temporary = tempfile.mkstemp(
        dir=directory, prefix=f".{os.path.basename(target)}.", suffix=".procrun-fix"
    )
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, stat.S_IMODE(status.st_mode))
        _keep_owner(temporary, status)
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def _keep_owner(path: str, status: os.stat_result) -> None:
    """Give ``path`` the owner and group in ``status``, where files have them and we may.

    Only root may give a file to another user; others keep the new file as theirs. Windows
    has no POSIX owners (no ``os.chown``, ``os.geteuid``, ``os.getegid``): nothing to keep.
    """
    chown = getattr(os, "chown", None)
    geteuid = getattr(os, "geteuid", None)
    getegid = getattr(os, "getegid", None)
    if chown is None or geteuid is None or getegid is None:
        return
    if (status.st_uid, status.st_gid) == (geteuid(), getegid()):
        return
    try:
        chown(path, status.st_uid, status.st_gid)
    except OSError:
        pass
