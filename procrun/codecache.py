"""A cache of the script's compiled code: the guarded code children replay, and the code the
main process runs.

Every child replays the script's definitions. Parsing and splitting the script costs a child
milliseconds (the ``ast`` module alone is a large import), which ``Pool`` pays per worker.
The parent compiles the guarded code once, at its first child start, and stores it here;
children load it with ``marshal`` as the import system loads a ``.pyc``.

The main process's own code (the script as python compiles it) is kept too, for scripts of
:data:`MAIN_CACHE_MIN_BYTES` or more: CPython never caches the bytecode of ``__main__`` and
recompiles it at every run, which for a large script is most of its start-up (85 of 109 ms
for 9,000 lines). A smaller script compiles faster than an entry is looked up.

Entries are named by a hash of the file name (its name within the bundle, for a frozen app)
and the source, the interpreter's magic number, the optimization level (``-O``), procrun's
version and, for guarded code, the split's modification time, so an edited script, another
Python or another procrun never meets a stale entry; storing a new version of a script
removes its entries made from older sources. The directory is private (mode 0700, owned by
this user); when it cannot be made so, nothing is cached and the code is compiled each time.

An entry is a header (a format tag and a checksum of the rest) and the marshalled code. What
is loaded is checked before it is used: a damaged entry (a flipped bit, a truncated or
foreign file) is a miss, never a crash, and is replaced by the next store. Unchecked, one
flipped byte inside the bytecode would make every child crash without a word.
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
#: The first bytes of every entry: the format, so that an older layout is a miss.
_TAG = b"procrun-code-1\n"
_checked_directory: str | None = None
#: The kinds of entry: the guarded code children replay, the code the main process runs.
GUARDED, MAIN = "code", "main"
#: The smallest script whose main code is cached (about 100 lines): below it, compiling
#: costs less than looking for an entry.
MAIN_CACHE_MIN_BYTES = 4096


def load(filename: str, source: bytes | str, kind: str = GUARDED) -> CodeType | None:
    """The cached code of ``kind`` for this source, or None (nothing cached, or a damaged
    entry, which is removed so that the next :func:`store` replaces it)."""
    path = _entry(filename, source, kind)
    if path is None:
        return None
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    code = _decode(data, filename)
    if code is None:
        try:
            os.unlink(path)
        except OSError:
            pass
    return code


def _decode(data: bytes, filename: str) -> CodeType | None:
    from types import CodeType

    header = len(_TAG) + 8
    if data[: len(_TAG)] != _TAG or data[len(_TAG) : header] != _hash(data[header:]):
        return None
    try:
        code = marshal.loads(data[header:])
    except (ValueError, EOFError, TypeError):
        return None
    if not isinstance(code, CodeType):
        return None
    if code.co_filename != filename:
        if _key_name(code.co_filename) != _key_name(filename):
            return None
        code = _renamed(code, filename)  # the same bundled script, extracted elsewhere
    return code


def _key_name(filename: str) -> str:
    """The name an entry is kept under: the file name, or for a script inside a frozen app
    its name within the bundle. A one-file app extracts itself to a new folder at every
    run; keyed on the full path, each run would add an entry that no later run can use."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle and filename.startswith(os.path.join(str(bundle), "")):
        return "<bundle>/" + filename[len(os.path.join(str(bundle), "")) :]
    return filename


def _renamed(code: CodeType, filename: str) -> CodeType:
    """``code`` with ``filename`` as the file of it and of every code object inside it."""
    from types import CodeType

    constants = tuple(
        _renamed(constant, filename) if isinstance(constant, CodeType) else constant
        for constant in code.co_consts
    )
    return code.replace(co_filename=filename, co_consts=constants)


def _hash(data: bytes) -> bytes:
    """8 bytes of SipHash over ``data``, keyed on the interpreter (as hash-based .pyc files)."""
    import _imp
    from importlib._bootstrap_external import _RAW_MAGIC_NUMBER  # type: ignore[attr-defined]

    return bytes(_imp.source_hash(_RAW_MAGIC_NUMBER, data))


def store(filename: str, source: bytes | str, code: CodeType, kind: str = GUARDED) -> None:
    """Keep ``code`` for the next child (or run); silently does nothing when it cannot."""
    path = _entry(filename, source, kind)
    if path is None or os.path.exists(path):
        return
    payload = marshal.dumps(code)
    if _write_privately(path, _TAG + _hash(payload) + payload):
        _remove_older_versions(path)


def _remove_older_versions(path: str) -> None:
    """Remove the entries of the same file and kind, for this Python and procrun, made from
    other sources: an edited script's old code can never be loaded again, and a script
    edited and run all day would otherwise leave an entry per run."""
    directory, name = os.path.split(path)
    file_key, _, rest = name.partition("-")
    setting = rest.split("-", 2)[2]  # after the source's hash and size: Python, -O, ...
    try:
        entries = os.listdir(directory)
    except OSError:
        return
    for other in entries:
        other_file, _, other_rest = other.partition("-")
        parts = other_rest.split("-", 2)
        if other != name and other_file == file_key and len(parts) == 3 and parts[2] == setting:
            try:
                os.unlink(os.path.join(directory, other))
            except OSError:
                pass


def _write_privately(path: str, data: bytes) -> bool:
    """Write ``data`` to ``path`` whole or not at all, readable by this user only."""
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except OSError:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        return False
    return True


def keep_source(source: bytes) -> str | None:
    """Keep a copy of a script's source that cannot be read twice (a FIFO, a pipe) for the
    children; the key to :func:`kept_source`, or None when nothing can be kept."""
    directory = cache_directory()
    if directory is None:
        return None
    key = f"{_hash(source).hex()}-{len(source)}"
    if kept_source(key) is None and not _write_privately(
        os.path.join(directory, f"{key}.source"), source
    ):
        return None
    return key


def kept_source(key: str) -> bytes | None:
    """The source kept under ``key``, if it is there and whole."""
    directory = cache_directory()
    if directory is None or "/" in key or os.sep in key:
        return None
    try:
        with open(os.path.join(directory, f"{key}.source"), "rb") as handle:
            source = handle.read()
    except OSError:
        return None
    digest, _, size = key.partition("-")
    if size != str(len(source)) or _hash(source).hex() != digest:
        return None
    return source


def _entry(filename: str, source: bytes | str, kind: str) -> str | None:
    """The path of the entry of ``kind`` for this source: ``FILE-SOURCE-SIZE-SETTING``,
    where FILE and SOURCE are hashes, and SETTING says which Python, ``-O`` level, procrun
    and (for guarded code) split made it."""
    directory = cache_directory()
    if directory is None:
        return None
    from importlib._bootstrap_external import _RAW_MAGIC_NUMBER  # type: ignore[attr-defined]

    data = source if isinstance(source, bytes) else source.encode("utf-8", "surrogatepass")
    file_key = _hash(_key_name(filename).encode("utf-8", "surrogatepass")).hex()
    magic = _RAW_MAGIC_NUMBER & 0xFFFF
    setting = f"{magic}-o{sys.flags.optimize}-{__version__}"
    if kind == GUARDED:
        setting += _split_stamp()
    name = f"{file_key}-{_hash(data).hex()}-{len(data)}-{setting}.{kind}"
    return os.path.join(directory, name)


def _split_stamp() -> str:
    """When the definition/action split last changed (``guard.py``'s modification time):
    an installed version never changes it, but a checkout's does from commit to commit, and an
    entry made by another split would replay the wrong statements. Empty in a frozen app,
    whose modules are in an archive and never change."""
    try:
        return f"-{os.stat(os.path.join(os.path.dirname(__file__), 'guard.py')).st_mtime_ns:x}"
    except OSError:
        return ""


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
