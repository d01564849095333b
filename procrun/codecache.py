"""A cache of guarded code, so that spawned children need not parse and split the script.

Every child replays the script's definitions. Parsing and splitting the script costs a child
milliseconds (the ``ast`` module alone is a large import), which ``Pool`` pays per worker.
The parent compiles the guarded code once, at its first child start, and stores it here;
children load it with ``marshal`` as the import system loads a ``.pyc``.

Entries are named by a hash of the file name and the source, the interpreter's magic number
and procrun's version, so an edited script or another Python never meets a stale entry. The
directory is private (mode 0700, owned by this user); when it cannot be made so, nothing is
cached and children parse the script themselves.
"""

from __future__ import annotations

import marshal
import os
import sys

from procrun import __version__

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import CodeType

ENV_CACHE_DIR = "PROCRUN_CACHE_DIR"
_checked_directory: str | None = None


def load(filename: str, source: bytes | str) -> CodeType | None:
    """The cached guarded code for this source, or None."""
    path = _entry(filename, source)
    if path is None:
        return None
    try:
        with open(path, "rb") as handle:
            data = handle.read()
        code = marshal.loads(data)
    except (OSError, ValueError, EOFError, TypeError):
        return None
    return code if code.co_filename == filename else None


def store(filename: str, source: bytes | str, code: CodeType) -> None:
    """Keep ``code`` for the next child; silently does nothing when it cannot."""
    path = _entry(filename, source)
    if path is None or os.path.exists(path):
        return
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(marshal.dumps(code))
        os.replace(temporary, path)
    except OSError:
        try:
            os.unlink(temporary)
        except OSError:
            pass


def _entry(filename: str, source: bytes | str) -> str | None:
    directory = cache_directory()
    if directory is None:
        return None
    import _imp
    from importlib._bootstrap_external import _RAW_MAGIC_NUMBER  # type: ignore[attr-defined]

    data = source if isinstance(source, bytes) else source.encode("utf-8", "surrogatepass")
    digest = _imp.source_hash(_RAW_MAGIC_NUMBER, filename.encode("utf-8", "surrogatepass"))
    digest += _imp.source_hash(_RAW_MAGIC_NUMBER, data)
    name = f"{digest.hex()}-{len(data)}-{_RAW_MAGIC_NUMBER & 0xFFFF}-{__version__}.code"
    return os.path.join(directory, name)


def cache_directory() -> str | None:
    """The private cache directory, made if need be; None when it cannot be had safely."""
    global _checked_directory
    if _checked_directory is not None:
        return _checked_directory or None
    directory = os.environ.get(ENV_CACHE_DIR)
    if not directory:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        directory = os.path.join(base, "procrun")
    _checked_directory = directory if _private(directory) else ""
    return _checked_directory or None


def _private(directory: str) -> bool:
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        status = os.stat(directory)
    except OSError:
        return False
    if sys.platform == "win32":
        return True
    # Another user who could write here could make our children run their code.
    return status.st_uid == os.getuid() and not status.st_mode & 0o022
