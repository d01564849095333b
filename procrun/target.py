"""What ``procrun`` runs: a script file, a directory or zip with ``__main__.py``, or a module.

The parent resolves the command line to a :class:`Target`; each spawned child resolves the
same target again from :func:`Target.encode` (carried in the environment) and finds the
same source, so that parent and children split it the same way.
"""

from __future__ import annotations

import os
import sys
from importlib.machinery import PathFinder, SourceFileLoader

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is not imported at run time: it costs the hot path milliseconds
    from importlib.machinery import ModuleSpec
    from types import CodeType
    from typing import Any

    from procrun.guard import Split

#: Environment variable through which children learn what their parent runs.
ENV_MAIN = "PROCRUN_MAIN"


class LaunchError(Exception):
    """A user error found before the script runs: a message and python's exit status."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class Target:
    """A resolved program: where its source is and what its ``__main__`` looks like."""

    def __init__(
        self,
        kind: str,
        location: str,
        filename: str,
        source: bytes | str | None,
        code: CodeType | None = None,
        argv0: str = "",
        path0: str = "",
        module_attrs: dict[str, Any] | None = None,
    ) -> None:
        #: "file", "importer" (a directory or zip with __main__.py) or "module"
        self.kind = kind
        #: absolute path, or module name
        self.location = location
        #: for code objects, tracebacks and __file__
        self.filename = filename
        #: None when only compiled code exists
        self.source = source
        self.code = code
        self.argv0 = argv0
        self.path0 = path0
        self.module_attrs = module_attrs if module_attrs is not None else {}
        #: False for a source that reading used up (a FIFO, a pipe): children cannot read it
        self.rereadable = True
        self._split: Split | None = None
        self._guarded: CodeType | None = None

    def encode(self) -> str:
        """What a child needs to find the same program (:func:`decode`)."""
        if self.kind == "file" and not self.rereadable and isinstance(self.source, bytes):
            # A FIFO or /dev/stdin: read once, by the parent. Children get a private copy.
            from procrun import codecache

            key = codecache.keep_source(self.source)
            if key is not None:
                return f"copy:{key}:{self.location}"
        return f"{self.kind}:{self.location}"

    def compile(self) -> CodeType:
        """The program's code as python compiles it (what the parent runs).

        The parent runs every statement in order, so it needs no guards: the guarded code
        only matters to children. Raises ``SyntaxError`` as python would.
        """
        if self.source is None:
            assert self.code is not None
            return self.code
        # python recompiles its main script at every run; procrun keeps the code of a large
        # one, as the import system keeps a module's .pyc.
        from procrun import codecache

        if len(self.source) < codecache.MAIN_CACHE_MIN_BYTES:
            return compile(self.source, self.filename, "exec", dont_inherit=True)
        code = codecache.load(self.filename, self.source, codecache.MAIN)
        if code is None:
            code = compile(self.source, self.filename, "exec", dont_inherit=True)
            codecache.store(self.filename, self.source, code, codecache.MAIN)
        return code

    def guarded(self) -> CodeType:
        """The program's code with its actions guarded (what a child replays).

        Made once per script version and kept in :mod:`procrun.codecache`, so that most
        children load it instead of parsing the script.
        """
        if self._guarded is not None:
            return self._guarded
        if self.source is None:
            assert self.code is not None
            return self.code
        from procrun import codecache

        code = codecache.load(self.filename, self.source)
        if code is None:
            from procrun.imports import import_unshadowed

            import_unshadowed("ast")
            from procrun.guard import compile_guarded

            code, self._split = compile_guarded(self.source, self.filename)
            codecache.store(self.filename, self.source, code)
        self._guarded = code
        return code

    @property
    def split(self) -> Split | None:
        """The program's definition/action split (None for sourceless code), made once."""
        if self._split is None and self.source is not None:
            from procrun.imports import import_unshadowed

            ast = import_unshadowed("ast")
            from procrun.guard import split_module

            self._split = split_module(ast.parse(self.source, self.filename), self.source)
        return self._split


def decode(value: str) -> Target:
    """The target a parent described with :meth:`Target.encode` (in a child)."""
    kind, _, location = value.partition(":")
    if kind == "file":
        return _file_target(location, location)
    if kind == "copy":
        from procrun import codecache

        key, _, location = location.partition(":")
        source = codecache.kept_source(key)
        if source is None:
            raise LaunchError(f"the copy of {location!r} that the parent kept is gone")
        return _file_target(location, location, source)
    if kind == "importer":
        return _importer_target(location, location)
    if kind == "module":
        return resolve_module(location)
    raise LaunchError(f"bad {ENV_MAIN} value {value!r}")


def resolve_script(argument: str) -> Target:
    """The target for ``procrun ARGUMENT``, resolved as ``python ARGUMENT`` would.

    A directory, or a regular file that is a zip archive, runs its ``__main__.py``; anything
    else is read once as source (a FIFO or ``/dev/stdin`` gives its text only once).
    """
    import stat

    path = os.path.abspath(argument)
    try:
        mode = os.stat(path).st_mode
    except OSError as error:
        raise LaunchError(
            f"can't open file {path!r}: [Errno {error.errno}] {error.strerror}", status=2
        ) from None
    if stat.S_ISDIR(mode) or (stat.S_ISREG(mode) and _is_zip(path)):
        return _importer_target(path, argument)
    return _file_target(path, argument)


def _is_zip(path: str) -> bool:
    try:
        with open(path, "rb") as handle:
            handle.seek(-22, os.SEEK_END)  # end-of-central-directory record
            tail = handle.read(22)
            if tail[:4] == b"PK\x05\x06":
                return True
            handle.seek(0)
            head = handle.read(4)
    except OSError:
        return False
    return head == b"PK\x03\x04" and _zipfile_says_zip(path)


def _zipfile_says_zip(path: str) -> bool:
    import zipfile  # zips with a trailing comment; rare, so imported only here

    return zipfile.is_zipfile(path)


def _file_target(path: str, argument: str, source: bytes | None = None) -> Target:
    rereadable = True
    if source is None:
        import stat

        try:
            with open(path, "rb") as handle:
                rereadable = stat.S_ISREG(os.fstat(handle.fileno()).st_mode)
                source = handle.read()
        except OSError as error:
            raise LaunchError(
                f"can't open file {path!r}: [Errno {error.errno}] {error.strerror}", status=2
            ) from None
    attrs = {
        "__file__": path,
        "__loader__": SourceFileLoader("__main__", path),
        "__spec__": None,
        "__package__": None,
        "__cached__": None,
    }
    target = Target("file", path, path, source, None, argument, script_directory(path), attrs)
    target.rereadable = rereadable
    return target


def _importer_target(path: str, argument: str) -> Target:
    spec = PathFinder.find_spec("__main__", [path])
    if spec is None or spec.loader is None:
        raise LaunchError(f"can't find '__main__' module in {path!r}")
    target = _from_spec("importer", path, spec, "__main__")
    target.argv0 = argument
    target.path0 = path
    target.module_attrs["__package__"] = ""
    return target


def resolve_module(name: str) -> Target:
    """The target for ``procrun -m NAME``, found as ``python -m NAME`` would find it."""
    from importlib.util import find_spec

    if not name or name.startswith("."):
        raise LaunchError("Relative module names not supported")
    try:
        spec = find_spec(name)
        if spec is not None and spec.submodule_search_locations is not None:
            package = name
            try:
                spec = find_spec(f"{name}.__main__")
            except ImportError:
                spec = None
            if spec is None:
                raise LaunchError(
                    f"No module named {package}.__main__; "
                    f"{package!r} is a package and cannot be directly executed"
                )
    except (ImportError, ValueError) as error:  # ValueError: -m __main__, whose spec is None
        if (
            isinstance(error, ModuleNotFoundError)
            and error.name
            and (name == error.name or name.startswith(error.name + "."))
        ):
            raise LaunchError(f"No module named {name}") from None
        raise LaunchError(
            f"Error while finding module specification for {name!r} "
            f"({type(error).__name__}: {error})"
        ) from None
    if spec is None or spec.loader is None:
        raise LaunchError(f"No module named {name}")
    target = _from_spec("module", name, spec, spec.name)
    target.argv0 = target.filename
    target.path0 = os.getcwd()
    target.module_attrs["__package__"] = spec.parent
    return target


def _from_spec(kind: str, location: str, spec: ModuleSpec, fullname: str) -> Target:
    loader: Any = spec.loader
    filename = spec.origin or location
    source: bytes | str | None = None
    code: CodeType | None = None
    get_source = getattr(loader, "get_source", None)
    if get_source is not None:
        source = get_source(fullname)
    if source is None:
        code = loader.get_code(fullname)
        if code is None:
            raise LaunchError(f"No code object available for {location}")
    attrs = {
        "__file__": filename,
        "__loader__": loader,
        "__spec__": spec,
        "__cached__": spec.cached,
    }
    return Target(kind, location, filename, source, code, module_attrs=attrs)


def python_version_hint(error: SyntaxError) -> str | None:
    """A hint when ``error`` comes from Python 2 code (``print 'x'``, ``except E, e:``)."""
    message = str(error.msg or "")
    text = (error.text or "").strip()
    python2 = (
        message.startswith("Missing parentheses in call to ")
        or "multiple exception types must be parenthesized" in message
        or "leading zeros in decimal integer literals" in message
        or (message == "invalid syntax" and (text.startswith(("print ", "exec ")) or "<>" in text))
        or (text.startswith("raise ") and "," in text and message == "invalid syntax")
    )
    if not python2:
        return None
    return "this is Python 2 syntax; procrun runs Python 3 code (print 'x' is print('x') there)"


def script_directory(path: str) -> str:
    """``sys.path[0]`` for the script at ``path``, by python's rule for this platform: the
    folder of the file a symlink points to on POSIX (``realpath``), the folder of the full
    path as given on Windows (``GetFullPathNameW``: links are not followed)."""
    if sys.platform == "win32":
        return os.path.dirname(os.path.abspath(path))
    return os.path.dirname(os.path.realpath(path))
