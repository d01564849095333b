"""Check many files: discovery, reading, the engine, in parallel when it pays.

This is what ``procrun check`` runs, without a terminal: it returns a :class:`Report` and
prints nothing. The exit status follows ruff's: 0 clean, 1 findings, 2 procrun's own failure.

A file that cannot be checked is a finding in every output format, as in ruff: ``E902``
(the file cannot be read: missing, unreadable, binary, undecodable) at 1:1, ``E999`` (it
does not parse as Python 3) where the parser stopped.
"""

from __future__ import annotations

import functools
import gc
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from procrun.checker.cache import ResultCache, digest
from procrun.checker.config import Settings
from procrun.checker.engine import Finding, SourceError, check_source
from procrun.checker.files import Exclusions, Missing, discover, read_bytes
from procrun.checker.freezing import ProjectFreezing

#: A file that cannot be read (pycodestyle's and ruff's code), and one that does not parse.
IO_ERROR = "E902"
SYNTAX_ERROR = "E999"
#: What the report calls them (JSON "name", SARIF rules).
FILE_PROBLEMS = {
    IO_ERROR: ("io-error", "The file cannot be read as Python source."),
    SYNTAX_ERROR: ("syntax-error", "The file does not parse as Python 3."),
}

#: Below this many files per worker, a process pool costs more than it saves.
FILES_PER_JOB = 48


@dataclass(frozen=True)
class FileResult:
    """One file's outcome: findings (with their source lines), or procrun's own error."""

    path: str
    findings: tuple[Finding, ...] = ()
    error: str | None = None
    lines: dict[int, str] = field(default_factory=dict)
    #: (size, modification time, hash of the bytes) of the file read, for the cache
    stamp: tuple[int, int, str] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Report:
    """The outcome of checking some paths."""

    files: tuple[FileResult, ...]

    @property
    def findings(self) -> list[Finding]:
        return [f for result in self.files for f in result.findings]

    @property
    def errors(self) -> list[tuple[str, str]]:
        return [(r.path, r.error) for r in self.files if r.error is not None]

    def source_line(self, finding: Finding) -> str | None:
        for result in self.files:
            if result.path == finding.path:
                return result.lines.get(finding.line)
        return None

    @property
    def checked(self) -> int:
        """How many files were looked at (read, or found missing)."""
        return len(self.files)

    @property
    def exit_status(self) -> int:
        if self.errors:
            return 2
        return 1 if any(r.findings for r in self.files) else 0


def _problem(path: str, code: str, message: str, line: int = 1, col: int = 1) -> FileResult:
    return FileResult(path, (Finding(path, max(line, 1), max(col, 1), code, message),))


def check_file(
    path: str, codes: frozenset[str] | None = None, frozen: bool | None = None, stamp: bool = True
) -> FileResult:
    """Read and check one file; never raises for bad input. ``frozen``: whether the file
    is part of a frozen program (True, False, or None for what the file itself shows).
    ``stamp``: give the result the file's size, time and hash, for the cache to keep."""
    try:
        raw, status = read_bytes(path)
    except OSError as error:
        return _problem(path, IO_ERROR, error.strerror or str(error))
    result = check_bytes(raw, path, codes, frozen)
    if not stamp or status.st_size != len(raw) or result.error is not None:
        # No cache to keep it, or written to while being read, or procrun's own failure.
        return result
    return replace(result, stamp=(status.st_size, status.st_mtime_ns, digest(raw)))


def check_bytes(
    raw: bytes, path: str, codes: frozenset[str] | None = None, frozen: bool | None = None
) -> FileResult:
    """Check ``raw``, the bytes of the file ``path`` (a name only: never read)."""
    try:
        findings = check_source(raw, path, codes, frozen=frozen)
    except SourceError as error:
        if not error.line:  # binary, undecodable, too deep: not a place in the file
            return _problem(path, IO_ERROR, error.message)
        findings = [Finding(path, error.line, max(error.col, 1), SYNTAX_ERROR, error.message)]
    except (RecursionError, MemoryError):
        return _problem(path, IO_ERROR, "too large or too deeply nested to check")
    except Exception as error:  # a bug of procrun's: one line, and the other files go on
        detail = f"{type(error).__name__}: {error}"
        return FileResult(
            path, error=f"internal error of procrun check ({detail}); please report it"
        )
    lines: dict[int, str] = {}
    if findings:
        text = raw.decode("utf-8", "replace").splitlines()
        for finding in findings:
            if 0 < finding.line <= len(text):
                lines[finding.line] = text[finding.line - 1]
    return FileResult(path, tuple(findings), None, lines)


def _exclusions(settings: Settings) -> Exclusions:
    def rules(directory: str) -> tuple[tuple[str, ...], str]:
        config = settings.for_directory(directory)
        base = os.path.dirname(config.source) if config.source else directory
        return config.exclude, base

    return rules


#: A file to check, the codes to report there, and whether it is frozen (see check_file).
Job = tuple[str, "frozenset[str] | None", "bool | None"]


def _check_chunk(files: Sequence[Job], stamp: bool = True) -> list[FileResult]:
    """Check ``files`` in this process; ``stamp`` each result for the cache."""
    # Syntax trees hold no reference cycles, so reference counting frees them; the cyclic
    # collector would only rescan the many nodes each parse allocates (about 10% of the time).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return [check_file(path, codes, frozen, stamp) for path, codes, frozen in files]
    finally:
        if enabled:
            gc.enable()


#: The path that stands for standard input, as in ruff.
STDIN = "-"


def check_paths(
    paths: Iterable[str],
    codes: frozenset[str] | None = None,
    exclude: Iterable[str] = (),
    jobs: int | None = None,
    stdin_filename: str | None = None,
    settings: Settings | None = None,
    cache: ResultCache | None = None,
) -> Report:
    """Check every file under ``paths``; ``jobs`` processes (None: as many as pay off).

    ``settings``, if given, decides each file's codes and each directory's exclusions (the
    nearest configuration); otherwise ``codes`` and ``exclude`` hold everywhere. ``-`` reads
    the source from standard input, reported as ``stdin_filename`` (or ``-``). ``cache``
    gives the results of files unchanged since an earlier run, and keeps this run's.
    """
    results: list[FileResult] = []
    paths = list(paths)

    evidence = ProjectFreezing()

    def job(path: str) -> Job:
        if settings is None:
            return path, codes, None
        config = settings.for_file(path)
        return path, config.codes, evidence.for_file(path, config)

    if STDIN in paths:
        paths = [path for path in paths if path != STDIN]
        _, stdin_codes, frozen = job(stdin_filename or STDIN)
        raw = sys.stdin.buffer.read()
        results.append(check_bytes(raw, stdin_filename or STDIN, stdin_codes, frozen))
    files: list[Job] = []
    exclusions = None if settings is None else _exclusions(settings)
    for item in discover(paths, exclude, exclusions):
        if isinstance(item, Missing):
            results.append(_problem(item.path, IO_ERROR, "No such file or directory"))
        else:
            files.append(job(item))
    order = {path: index for index, (path, _, _) in enumerate(files)}
    known: list[FileResult] = []
    if cache is not None:
        remembered = [(item, cache.get(*item)) for item in files]
        known = [result for _, result in remembered if result is not None]
        files = [item for item, result in remembered if result is None]
    if jobs is None:
        jobs = min(os.cpu_count() or 1, len(files) // FILES_PER_JOB)
    parallel = jobs > 1 and len(files) > 1
    stamp = cache is not None  # the hash a cache entry keeps: not computed for nothing
    checked = _in_parallel(files, jobs, stamp) if parallel else _check_chunk(files, stamp)
    if cache is not None:
        for (_, file_codes, frozen), result in zip(files, checked, strict=True):
            cache.put(result, file_codes, frozen)
        cache.save()
    # In the order found, whichever came from the cache.
    results.extend(sorted(known + checked, key=lambda result: order[result.path]))
    return Report(tuple(results))


def parallel_start_method() -> str:
    """How ``check --jobs`` starts its workers on this platform: fork or spawn.

    fork on Linux: a worker is ready at once, with the engine already imported. Not on
    macOS, where a process that has loaded the command line's libraries (rich, typer,
    libcst, and the system frameworks under them) cannot fork safely, and spawn is
    Python's default; Windows has only spawn.
    """
    import multiprocessing

    if sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods():
        return "fork"
    return "spawn"


def _in_parallel(files: list[Job], jobs: int, stamp: bool) -> list[FileResult]:
    import multiprocessing

    # A spawned worker imports this module (the engine, the standard library) and no more:
    # the main module it rebuilds is ``procrun.__main__``, which multiprocessing never
    # re-runs, or the ``procrun`` console script, whose call is guarded.
    context = multiprocessing.get_context(parallel_start_method())
    # Many small chunks: big files cluster in directories; the pool hands out the rest
    # to whichever worker is free.
    size = max(1, len(files) // (jobs * 8))
    chunks = [files[i : i + size] for i in range(0, len(files), size)]
    with context.Pool(jobs) as pool:
        parts = pool.map(functools.partial(_check_chunk, stamp=stamp), chunks)
    return [result for part in parts for result in part]
