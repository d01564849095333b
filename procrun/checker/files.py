"""Which files ``procrun check`` reads, and how: discovery under directories, and bytes.

Directories are walked for ``*.py`` files, skipping what is not the project's own code:
version control, virtual environments (any directory holding ``pyvenv.cfg``), build output,
caches. Files named on the command line are always read, whatever their suffix.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

#: Directory names never entered (ruff skips the same kinds of places).
SKIPPED_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", ".bzr", ".venv", "venv", ".tox", ".nox", ".eggs", "build",
        "dist", "__pycache__", "node_modules", "site-packages", "__pypackages__",
        ".mypy_cache", ".pytest_cache", ".ruff_cache", ".direnv", "_build", "buck-out",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Missing:
    """A path given on the command line that does not exist."""

    path: str


#: directory -> (the exclude globs that hold there, the directory they are relative to)
Exclusions = Callable[[str], "tuple[tuple[str, ...], str]"]


def discover(
    paths: Iterable[str], exclude: Iterable[str] = (), exclusions: Exclusions | None = None
) -> Iterator[str | Missing]:
    """The files to check under ``paths``, in a stable order, each once.

    ``exclude`` holds glob patterns matched against each name and each path, relative to the
    directory named, met while walking directories (files named explicitly are not
    excluded); ``exclusions``, if given, says per directory which patterns hold there and
    relative to where (each project's own, from its configuration).
    """
    patterns = tuple(exclude)
    seen: set[str] = set()
    for path in paths:
        if os.path.isdir(path):
            found: Iterable[str] = _walk(path, exclusions or _everywhere(patterns, path))
        elif os.path.lexists(path):
            found = [path]
        else:
            yield Missing(path)
            continue
        for file in found:
            key = os.path.normpath(file)
            if key not in seen:
                seen.add(key)
                yield file


def _everywhere(patterns: tuple[str, ...], root: str) -> Exclusions:
    """The same patterns in every directory, relative to ``root``."""
    return lambda directory: (patterns, root)


def _walk(directory: str, rules: Exclusions) -> Iterator[str]:
    """The ``*.py`` files under ``directory``, depth first, each directory's entries sorted,
    less what ``rules`` excludes there.

    Only regular files (or links to them) are read: a FIFO or a device with a ``.py`` name
    would block or never end, and a link that loops has nothing behind it. A link to
    nothing is yielded, to be reported as missing. Linked directories are not entered (as
    ``os.walk``), so a tree is walked once.
    """
    patterns, base = rules(directory)
    try:
        with os.scandir(directory) as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
    except OSError:
        return
    subdirectories = []
    for entry in entries:
        name, path = entry.name, os.path.normpath(entry.path)
        if entry.is_dir(follow_symlinks=False):
            skipped = (
                name in SKIPPED_DIRS
                or name.endswith(".egg-info")
                or os.path.exists(os.path.join(path, "pyvenv.cfg"))
            )
            if not skipped and not _excluded(path, base, patterns):
                subdirectories.append(path)
        elif name.endswith(".py") and _readable_kind(entry) and not _excluded(path, base, patterns):
            # normpath: "./src/x.py" is shown as "src/x.py", as other tools show it
            yield path
    for subdirectory in subdirectories:
        yield from _walk(subdirectory, rules)


def _readable_kind(entry: os.DirEntry[str]) -> bool:
    """A regular file, or a link to nothing (reported as missing); not a FIFO, a device, a
    socket, or a link that loops."""
    try:
        return entry.is_file() or (entry.is_symlink() and not os.path.exists(entry.path))
    except OSError:  # ELOOP: a link that loops, reached through another link
        return False


def _excluded(path: str, root: str, patterns: tuple[str, ...]) -> bool:
    if not patterns:
        return False
    relative = os.path.relpath(path, root).replace(os.sep, "/")
    name = os.path.basename(path)
    return any(
        fnmatch.fnmatchcase(name, p)
        or fnmatch.fnmatchcase(relative, p)
        or fnmatch.fnmatchcase(relative, p.rstrip("/") + "/*")
        for p in patterns
    )


def read_bytes(path: str) -> tuple[bytes, os.stat_result]:
    """The file's bytes and its status as found before reading; ``OSError`` (with a short
    ``strerror``) if it cannot be read.

    A path named on the command line may be anything: what is not a regular file is refused
    before it is opened (opening a FIFO waits for a writer).
    """
    status = os.stat(path)
    if not stat.S_ISREG(status.st_mode):
        raise OSError(errno.EINVAL, "not a regular file (a FIFO, device or socket): not read")
    with open(path, "rb") as file:
        return file.read(), status
