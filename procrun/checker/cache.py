"""``.procrun_cache``: each file's findings, kept between runs of ``procrun check``.

As ruff's ``.ruff_cache``: a second run over an unchanged tree reads no source at all. A
file's entry holds its findings and what they were computed from: the file's size and
modification time, a hash of its bytes, the codes reported there and whether it is frozen
(its configuration). An entry is used when the configuration is the same and either the
size and modification time are (nothing was written since), or the bytes hash the same (a
file touched but not changed). Anything else is checked again and replaces the entry.

The whole cache is one JSON file per version of the checker, named by procrun's version and
the modification times of the checker's own modules (a checkout that changes a rule
without changing the version must not meet results of the old rule). It lives in the
directory ``procrun check`` runs in, like ruff's, with a ``.gitignore`` and a
``CACHEDIR.TAG`` so that version control and backups pass it by. A cache that cannot be
read is empty; one that cannot be written is skipped silently: it only saves time.
"""

from __future__ import annotations

import hashlib
import json
import os

from procrun.checker.engine import Finding

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from procrun.checker.runner import FileResult

#: The directory's name, in the current directory (``--no-cache`` leaves it alone).
DIRECTORY = ".procrun_cache"
_FORMAT = 1
_TAG = "Signature: 8a477f597d28d172789f06886806bc55\n# procrun check's cache\n"
_OWN_MODULES = (
    "engine",
    "rules",
    "names",
    "freezing",
    "runner",
    "cache",
)


def _checker_version() -> str:
    from procrun import __version__, guard

    here = os.path.dirname(os.path.abspath(__file__))
    stamps = [str(os.stat(os.path.join(here, f"{name}.py")).st_mtime_ns) for name in _OWN_MODULES]
    stamps.append(str(os.stat(guard.__file__).st_mtime_ns))
    digest = hashlib.blake2b("/".join(stamps).encode(), digest_size=8).hexdigest()
    return f"{__version__}-{_FORMAT}-{digest}"


class ResultCache:
    """The findings of earlier runs, by path; :meth:`save` writes what this run added."""

    def __init__(self, directory: str = DIRECTORY) -> None:
        self.directory = directory
        self.file = os.path.join(directory, f"check-{_checker_version()}.json")
        self._entries: dict[str, list[Any]] = self._read()
        self._changed = False

    def _read(self) -> dict[str, list[Any]]:
        try:
            with open(self.file, "rb") as handle:
                entries = json.load(handle)
        except (OSError, ValueError):
            return {}
        return entries if isinstance(entries, dict) else {}

    def get(
        self, path: str, codes: frozenset[str] | None, frozen: bool | None
    ) -> FileResult | None:
        """The cached result for ``path`` if still valid, else None."""
        entry = self._entries.get(path)
        if entry is None:
            return None
        try:
            size, mtime, hashed, key, findings, lines = entry
            if key != _settings_key(codes, frozen):
                return None
            status = os.stat(path)
            if (status.st_size, status.st_mtime_ns) != (size, mtime):
                with open(path, "rb") as handle:
                    if digest(handle.read()) != hashed:
                        return None
                entry[0], entry[1] = status.st_size, status.st_mtime_ns
                self._changed = True
            return _result(path, findings, lines)
        except (OSError, ValueError, TypeError):
            return None

    def put(self, result: FileResult, codes: frozenset[str] | None, frozen: bool | None) -> None:
        """Remember ``result``, computed with these settings (if it says what it was
        computed from: a file that could not be read has nothing to compare with)."""
        if result.stamp is None:
            return
        size, mtime, hashed = result.stamp
        self._entries[result.path] = [
            size,
            mtime,
            hashed,
            _settings_key(codes, frozen),
            [[f.line, f.col, f.code, f.message] for f in result.findings],
            {str(line): text for line, text in result.lines.items()},
        ]
        self._changed = True

    def save(self) -> None:
        """Write the cache if this run changed it; never fails the run."""
        if not self._changed:
            return
        try:
            _prepare(self.directory)
            import tempfile  # only when something is written (random, shutil under it)

            fd, temporary = tempfile.mkstemp(dir=self.directory, prefix=".check-")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(self._entries, handle, separators=(",", ":"))
            os.replace(temporary, self.file)
        except OSError:
            pass


def _settings_key(codes: frozenset[str] | None, frozen: bool | None) -> str:
    chosen = "*" if codes is None else ",".join(sorted(codes))
    return f"{chosen}|{frozen}"


def digest(raw: bytes) -> str:
    """The hash of a file's bytes that an entry keeps."""
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


def _result(path: str, findings: list[list[Any]], lines: dict[str, str]) -> FileResult:
    from procrun.checker.runner import FileResult

    found = tuple(
        Finding(path, int(line), int(col), str(code), str(message))
        for line, col, code, message in findings
    )
    return FileResult(path, found, None, {int(line): text for line, text in lines.items()})


def _prepare(directory: str) -> None:
    """Make the cache directory, marked as a cache for git and for backup tools."""
    if os.path.isdir(directory):
        return
    os.makedirs(directory, exist_ok=True)
    for name, text in ((".gitignore", "# made by procrun check\n*\n"), ("CACHEDIR.TAG", _TAG)):
        with open(os.path.join(directory, name), "w", encoding="utf-8") as handle:
            handle.write(text)
