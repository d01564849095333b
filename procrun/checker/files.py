"""Which files ``procrun check`` reads, and how: discovery under directories, and bytes.

Directories are walked for ``*.py`` files, skipping what is not the project's own code:
version control, virtual environments (any directory holding ``pyvenv.cfg``), build output,
caches. Files named on the command line are always read, whatever their suffix.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Iterator
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


def discover(paths: Iterable[str], exclude: Iterable[str] = ()) -> Iterator[str | Missing]:
    """The files to check under ``paths``, in a stable order, each once.

    ``exclude`` holds glob patterns matched against each name and each relative path met
    while walking directories (files named explicitly are not excluded).
    """
    patterns = tuple(exclude)
    seen: set[str] = set()
    for path in paths:
        if os.path.isdir(path):
            found: Iterable[str] = _walk(path, patterns)
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


def _walk(root: str, patterns: tuple[str, ...]) -> Iterator[str]:
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(
            d
            for d in dirs
            if d not in SKIPPED_DIRS
            and not d.endswith(".egg-info")
            and not os.path.exists(os.path.join(directory, d, "pyvenv.cfg"))
            and not _excluded(os.path.join(directory, d), root, patterns)
        )
        for name in sorted(files):
            if name.endswith(".py"):
                # normpath: "./src/x.py" is shown as "src/x.py", as other tools show it
                path = os.path.normpath(os.path.join(directory, name))
                if not _excluded(path, root, patterns):
                    yield path


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


def read_bytes(path: str) -> bytes:
    """The file's bytes; ``OSError`` (with a short ``strerror``) if it cannot be read."""
    with open(path, "rb") as file:
        return file.read()
