"""``procrun freeze``'s core: check the input, write the spec, run PyInstaller, verify.

No terminal here: :func:`freeze` reports its phases to a callback and returns a
:class:`FreezeResult` or raises :class:`FreezeError` with a one-line message.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from procrun import __version__
from procrun.freezer.bundle import render

#: The phases :func:`freeze` reports, in order.
PHASES = ("preparing", "analysing", "bundling", "verifying")
#: Where procrun records what it built in a dist folder (so it never overwrites the rest).
MANIFEST = ".procrun-builds.json"
#: Seconds the self-check of ``--verify`` may take.
VERIFY_TIMEOUT = 180


class FreezeError(Exception):
    """A freeze that cannot go on: a one-line message and the exit status."""

    def __init__(self, message: str, status: int = 2, details: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        #: more lines to show below the message (PyInstaller's log tail, a failed check)
        self.details = details


@dataclass
class FreezeOptions:
    """What ``procrun freeze`` was asked for (the command's options, as data)."""

    script: str
    onefile: bool = True
    name: str | None = None
    dist: str = "dist"
    work: str = os.path.join("build", "procrun")
    add_data: list[str] = field(default_factory=list)
    hidden_imports: list[str] = field(default_factory=list)
    icon: str | None = None
    console: bool = True
    clean: bool = False
    start_method: str | None = None
    verify: bool = False
    spec_only: bool = False
    force: bool = False
    pyinstaller_args: list[str] = field(default_factory=list)


@dataclass
class FreezeResult:
    """What a freeze made."""

    name: str
    mode: str
    spec: str
    executable: str | None = None
    size: int = 0
    seconds: float = 0.0
    log: str | None = None
    checks: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "mode": self.mode,
            "executable": self.executable,
            "size": self.size,
            "build_seconds": round(self.seconds, 3),
            "spec": self.spec,
            "log": self.log,
            "verified": [check["method"] for check in self.checks if check.get("ok")]
            if self.checks
            else None,
        }


def freeze(
    options: FreezeOptions, phase: Callable[[str], None] = lambda name: None
) -> FreezeResult:
    """Build ``options.script`` into an executable (or only write its spec)."""
    started = time.perf_counter()
    phase("preparing")
    script = _checked_script(options.script)
    name = options.name or os.path.splitext(os.path.basename(script))[0]
    _check_name(name)
    datas = [_data_pair(value) for value in options.add_data]
    if options.icon is not None and not os.path.isfile(options.icon):
        raise FreezeError(f"icon {options.icon!r} does not exist")
    mode = "onefile" if options.onefile else "onedir"
    if options.spec_only:
        spec = os.path.abspath(f"{name}.spec")
        _refuse_foreign_spec(spec, options.force)
        work = _relative(os.path.abspath(os.path.join(options.work, name)), os.getcwd())
        _write_spec(spec, script, name, work, datas, options)
        return FreezeResult(name, mode, spec, seconds=time.perf_counter() - started)

    _require_pyinstaller()
    dist = os.path.abspath(options.dist)
    work = os.path.abspath(os.path.join(options.work, name))
    output = os.path.join(dist, name)
    _check_output(dist, name, options.force, options.onefile)
    if options.clean and os.path.isdir(work):
        shutil.rmtree(work)
    os.makedirs(work, exist_ok=True)
    spec = os.path.join(work, f"{name}.spec")
    _write_spec(spec, script, name, ".", datas, options)
    log = os.path.join(work, "build.log")
    _run_pyinstaller(spec, dist, work, log, options, phase)
    executable = output if options.onefile else os.path.join(output, name)
    if sys.platform == "win32":
        executable += ".exe"
    if not os.path.isfile(executable):
        raise FreezeError(f"PyInstaller reported success but made no {executable}", 1)
    _record(dist, name)
    result = FreezeResult(
        name,
        mode,
        spec,
        executable=executable,
        size=_size(output if os.path.isdir(output) else executable),
        log=log,
    )
    if options.verify:
        phase("verifying")
        result.checks = verify(executable)
    result.seconds = time.perf_counter() - started
    return result


def verify(executable: str) -> list[dict[str, Any]]:
    """Run ``executable``'s self-check: a Queue round trip with a child per start method."""
    from procrun.frozen import ENV_SELF_CHECK

    env = {key: value for key, value in os.environ.items() if not key.startswith("PROCRUN_")}
    env[ENV_SELF_CHECK] = "1"
    try:
        completed = subprocess.run(
            [executable], env=env, capture_output=True, text=True, timeout=VERIFY_TIMEOUT
        )
    except subprocess.TimeoutExpired:
        raise FreezeError(
            f"verification failed: {executable} did not finish its self-check in "
            f"{VERIFY_TIMEOUT} s",
            1,
        ) from None
    checks = []
    for line in completed.stdout.splitlines():
        try:
            checks.append(json.loads(line))
        except ValueError:
            continue
    failed = [check for check in checks if not check.get("ok")]
    if completed.returncode != 0 or failed or not checks:
        detail = "\n".join(
            [f"{check['method']}: {check.get('error') or 'failed'}" for check in failed]
            + completed.stderr.strip().splitlines()[-15:]
        )
        raise FreezeError(
            f"verification failed: {executable} exited {completed.returncode} from its self-check",
            1,
            detail,
        )
    return checks


def _checked_script(script: str) -> str:
    path = os.path.abspath(script)
    try:
        with open(path, "rb") as handle:
            source = handle.read()
    except IsADirectoryError:
        raise FreezeError(f"{script}: is a directory; procrun freeze takes a script file") from None
    except OSError as error:
        raise FreezeError(f"can't open file {script!r}: {error.strerror}") from None
    try:
        compile(source, path, "exec", dont_inherit=True)
    except SyntaxError as error:
        from procrun.target import python_version_hint

        hint = python_version_hint(error)
        raise FreezeError(
            f"{script}:{error.lineno}: {type(error).__name__}: {error.msg}"
            + (f" ({hint})" if hint else "")
            + "; fix it before freezing"
        ) from None
    except ValueError as error:  # null bytes, before Python 3.12
        raise FreezeError(f"{script}: not Python source ({error})") from None
    return path


def _check_name(name: str) -> None:
    if not name or name in (".", "..") or "/" in name or os.sep in name:
        raise FreezeError(f"invalid --name {name!r}: give a plain file name")


def _data_pair(value: str) -> tuple[str, str]:
    separator = ":" if ":" in value else os.pathsep
    source, _, destination = value.rpartition(separator)
    if not source or not destination:
        raise FreezeError(f"invalid --add-data {value!r}: use SOURCE:DEST (DEST '.' for the top)")
    if not os.path.exists(source):
        raise FreezeError(f"--add-data source {source!r} does not exist")
    return os.path.abspath(source), destination


def _require_pyinstaller() -> None:
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        raise FreezeError(
            f"PyInstaller is not installed for {sys.executable}; install it with: "
            f"{sys.executable} -m pip install pyinstaller"
        ) from None


def _manifest(dist: str) -> dict[str, Any]:
    try:
        with open(os.path.join(dist, MANIFEST), encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _stamp(path: str) -> int | None:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


def _check_output(dist: str, name: str, force: bool, onefile: bool) -> None:
    """Refuse to replace ``dist/NAME`` unless procrun built it (or ``--force``)."""
    output = os.path.join(dist, name)
    if not os.path.lexists(output):
        return
    built = _manifest(dist).get(name)
    ours = isinstance(built, dict) and built.get("stamp") == _stamp(output)
    if not ours and not force:
        raise FreezeError(
            f"{output} exists and procrun did not build it; move it away, or pass --force "
            "to replace it"
        )
    # PyInstaller replaces its own kind of output (and its cache keeps an unchanged one);
    # a folder cannot become a file, nor a file a folder.
    folder = os.path.isdir(output) and not os.path.islink(output)
    if folder and onefile:
        shutil.rmtree(output)
    elif not folder and (not onefile or not ours):
        os.remove(output)


def _record(dist: str, name: str) -> None:
    manifest = _manifest(dist)
    manifest[name] = {"stamp": _stamp(os.path.join(dist, name)), "procrun": __version__}
    with open(os.path.join(dist, MANIFEST), "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=1, sort_keys=True)


def _refuse_foreign_spec(spec: str, force: bool) -> None:
    if not os.path.exists(spec) or force:
        return
    with open(spec, encoding="utf-8", errors="replace") as handle:
        head = handle.read(400)
    if "written by procrun" not in head:
        raise FreezeError(f"{spec} exists and procrun did not write it; pass --force to replace it")


def _relative(path: str, start: str) -> str:
    try:
        return os.path.relpath(path, start)
    except ValueError:  # another drive, on Windows
        return path


def _write_spec(
    spec: str,
    script: str,
    name: str,
    work: str,
    datas: list[tuple[str, str]],
    options: FreezeOptions,
) -> None:
    """Write the spec from ``templates/``; its paths are relative to its own folder."""
    folder = os.path.dirname(spec)
    values: dict[str, object] = {
        "name": name,
        "name_repr": repr(name),
        "version": __version__,
        "console": repr(options.console),
        "icon": repr(os.path.abspath(options.icon) if options.icon else None),
    }
    build = render(f"{'onefile' if options.onefile else 'onedir'}.build.tmpl", **values)
    text = render(
        "app.spec.tmpl",
        **values,
        mode_flag="--onefile" if options.onefile else "--onedir",
        script_name=os.path.basename(script),
        spec_name=os.path.basename(spec),
        script=repr(_relative(script, folder)),
        work=repr(work),
        start_method=repr(options.start_method),
        datas=repr([(_relative(source, folder), dest) for source, dest in datas]),
        hiddenimports=repr(list(options.hidden_imports)),
        build=build,
    )
    with open(spec, "w", encoding="utf-8") as handle:
        handle.write(text)


def _run_pyinstaller(
    spec: str,
    dist: str,
    work: str,
    log_path: str,
    options: FreezeOptions,
    phase: Callable[[str], None],
) -> None:
    """Run PyInstaller's build on ``spec`` in this process, its output going to ``log_path``."""
    import logging

    phase("analysing")
    args = [spec, "--distpath", dist, "--workpath", work, "--noconfirm"]
    if options.clean:
        args.append("--clean")
    args += options.pyinstaller_args
    with open(log_path, "w", encoding="utf-8") as log:
        log.write(f"procrun {__version__}: pyinstaller {' '.join(args)}\n")
        log.flush()

        class Handler(logging.Handler):
            """Writes PyInstaller's records to the log; the first of its archives is the
            end of the analysis."""

            bundling = False

            def emit(self, record: logging.LogRecord) -> None:
                message = record.getMessage()
                log.write(f"{record.levelname}: {message}\n")
                if not self.bundling and ("PYZ" in message or "Building EXE" in message):
                    self.bundling = True
                    phase("bundling")

        saved_fd = os.dup(2)
        root = logging.getLogger()
        saved_handlers, saved_level = root.handlers[:], root.level
        error: BaseException | None = None
        try:
            sys.stderr.flush()
            os.dup2(log.fileno(), 2)  # PyInstaller's helper processes write there too
            import PyInstaller.__main__  # heavy: only now
            import PyInstaller.log

            root.handlers[:] = [Handler()]
            root.setLevel(logging.INFO)
            PyInstaller.__main__.run(args)
        except SystemExit as exit_:
            if exit_.code not in (None, 0):
                error = exit_
        except Exception as exception:
            error = exception
            import traceback

            traceback.print_exc(file=log)
        finally:
            log.flush()
            sys.stderr.flush()
            os.dup2(saved_fd, 2)
            os.close(saved_fd)
            root.handlers[:] = saved_handlers
            root.setLevel(saved_level)
    if error is not None:
        raise FreezeError(
            f"PyInstaller failed ({_describe(error)}); the full log is {log_path}",
            1,
            _log_tail(log_path),
        )


def _describe(error: BaseException) -> str:
    if isinstance(error, SystemExit):
        return str(error.code).strip().splitlines()[-1] if error.code else "exit"
    return f"{type(error).__name__}: {error}".splitlines()[0]


def _log_tail(path: str, count: int = 12) -> str:
    """The log's last relevant lines: errors and what led to them, else its end."""
    with open(path, encoding="utf-8", errors="replace") as handle:
        lines = [line.rstrip() for line in handle if line.strip()]
    relevant = [
        index
        for index, line in enumerate(lines)
        if line.startswith(("ERROR", "CRITICAL", "Traceback", "SystemExit"))
        or "Error" in line.split(":")[0]
    ]
    if relevant:
        start = max(0, relevant[0] - 3)
        return "\n".join(lines[start : start + count])
    return "\n".join(lines[-count:])


def _size(path: str) -> int:
    if os.path.isfile(path):
        return os.path.getsize(path)
    total = 0
    for folder, _, files in os.walk(path):
        for file in files:
            full = os.path.join(folder, file)
            if not os.path.islink(full):
                total += os.path.getsize(full)
    return total
