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
from typing import Any, TextIO

from procrun import __version__
from procrun.freezer import targets
from procrun.freezer.bundle import render

#: The phases :func:`freeze` reports, in order.
PHASES = ("preparing", "analysing", "bundling", "verifying")
#: Where procrun records what it built in a dist folder (so it never overwrites the rest).
MANIFEST = ".procrun-builds.json"
#: Where the self-check of ``--verify`` writes its results (``templates/procrun_self_check.py``).
ENV_SELF_CHECK_REPORT = "PROCRUN_SELF_CHECK_REPORT"
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
    #: None: one file, except for a macOS ``.app`` (see :mod:`procrun.freezer.targets`)
    onefile: bool | None = None
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
    # macOS only: PyInstaller's EXE and BUNDLE arguments
    target_arch: str | None = None
    codesign_identity: str | None = None
    entitlements_file: str | None = None
    bundle_identifier: str | None = None


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
    onefile = (
        targets.default_onefile(options.console) if options.onefile is None else options.onefile
    )
    _check_platform_options(options, onefile)
    _check_pyinstaller_args(options.pyinstaller_args)
    mode = "onefile" if onefile else "onedir"
    if options.spec_only:
        spec = os.path.abspath(f"{name}.spec")
        _refuse_foreign_spec(spec, options.force)
        work = _relative(os.path.abspath(os.path.join(options.work, name)), os.getcwd())
        _write_spec(spec, script, name, work, datas, options, onefile)
        return FreezeResult(name, mode, spec, seconds=time.perf_counter() - started)

    dist = os.path.abspath(options.dist)
    work = os.path.abspath(os.path.join(options.work, name))
    outputs = targets.outputs(dist, name, onefile, options.console)
    _check_outputs(dist, outputs, options.force)
    _require_pyinstaller()
    if options.clean and os.path.isdir(work):
        shutil.rmtree(work)
    os.makedirs(work, exist_ok=True)
    spec = os.path.join(work, f"{name}.spec")
    _write_spec(spec, script, name, ".", datas, options, onefile)
    log = os.path.join(work, "build.log")
    _run_pyinstaller(spec, dist, work, log, options, phase)
    executable = targets.executable(dist, name, onefile, options.console)
    if not os.path.isfile(executable):
        raise FreezeError(f"PyInstaller reported success but made no {executable}", 1)
    _record(dist, outputs)
    result = FreezeResult(
        name, mode, spec, executable=executable, size=_size(outputs[-1].path), log=log
    )
    if options.verify:
        phase("verifying")
        result.checks = verify(executable)
    result.seconds = time.perf_counter() - started
    return result


def verify(executable: str) -> list[dict[str, Any]]:
    """Run ``executable``'s self-check: a Queue round trip with a child per start method."""
    import tempfile

    from procrun.frozen import ENV_SELF_CHECK

    env = {key: value for key, value in os.environ.items() if not key.startswith("PROCRUN_")}
    env[ENV_SELF_CHECK] = "1"
    with tempfile.TemporaryDirectory(prefix="procrun-verify-") as folder:
        # A windowed app has no stdout (sys.stdout is None): the check writes here as well.
        report = env[ENV_SELF_CHECK_REPORT] = os.path.join(folder, "report.jsonl")
        try:
            completed = subprocess.run(
                [executable],
                env=env,
                capture_output=True,
                text=True,
                errors="replace",  # a traceback in the code page, or not valid UTF-8
                timeout=VERIFY_TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            raise FreezeError(
                f"verification failed: {executable} did not finish its self-check in "
                f"{VERIFY_TIMEOUT} s",
                1,
            ) from None
        try:
            with open(report, encoding="utf-8") as handle:
                lines = handle.read().splitlines()
        except OSError:  # an app built by an older procrun
            lines = completed.stdout.splitlines()
    checks = []
    for line in lines:
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


#: PyInstaller options that only shape the spec it would write, so that with procrun's spec it
#: refuses them ("makespec options not valid when a .spec file is given"): procrun's own.
SPEC_OPTIONS = {
    "--onefile": "--onefile", "--onedir": "--onedir", "--name": "--name",
    "--add-data": "--add-data", "--hidden-import": "--hidden-import",
    "--hiddenimport": "--hidden-import", "--icon": "--icon", "--console": "--console",
    "--nowindowed": "--console", "--windowed": "--windowed", "--noconsole": "--windowed",
    "--target-arch": "--target-arch", "--target-architecture": "--target-arch",
    "--codesign-identity": "--codesign-identity",
    "--osx-entitlements-file": "--osx-entitlements-file",
    "--osx-bundle-identifier": "--osx-bundle-identifier",
}  # fmt: skip


def _check_pyinstaller_args(args: list[str]) -> None:
    for arg in args:
        ours = SPEC_OPTIONS.get(arg.partition("=")[0])
        if ours is not None:
            raise FreezeError(
                f"{arg.partition('=')[0]} after --: PyInstaller takes it only without a spec; "
                f"give procrun freeze's own {ours} before the --"
            )


def _check_platform_options(options: FreezeOptions, onefile: bool) -> None:
    """Refuse at build time what the app could never do on this system."""
    system = _SYSTEMS.get(sys.platform, sys.platform)
    method = options.start_method
    if method is not None and method not in targets.start_methods():
        available = ", ".join(targets.start_methods())
        raise FreezeError(
            f"--start-method {method}: {system} has no {method} start method (only "
            f"{available}); use one of those, or drop the option"
        )
    macos_only = {
        "--target-arch": options.target_arch,
        "--codesign-identity": options.codesign_identity,
        "--osx-entitlements-file": options.entitlements_file,
        "--osx-bundle-identifier": options.bundle_identifier,
    }
    given = [flag for flag, value in macos_only.items() if value is not None]
    if given and not targets.is_macos():
        raise FreezeError(
            f"{given[0]} is for macOS builds (PyInstaller ignores it on {system}); "
            "drop it, or build on macOS"
        )
    if options.target_arch is not None and options.target_arch not in targets.TARGET_ARCHS:
        raise FreezeError(
            f"invalid --target-arch {options.target_arch!r}: use one of "
            + ", ".join(targets.TARGET_ARCHS)
        )
    entitlements = options.entitlements_file
    if entitlements is not None and not os.path.isfile(entitlements):
        raise FreezeError(f"--osx-entitlements-file {entitlements!r} does not exist")
    if options.bundle_identifier is not None and options.console:
        raise FreezeError(
            "--osx-bundle-identifier names a .app bundle, which only a --windowed build has; "
            "add --windowed, or drop it"
        )
    if onefile and targets.makes_app_bundle(options.console):
        raise FreezeError(
            "--onefile --windowed: a macOS .app cannot be one file (PyInstaller deprecates it); "
            "drop --onefile: procrun builds the .app from a folder"
        )


#: Names of systems in messages.
_SYSTEMS = {"win32": "Windows", "darwin": "macOS", "linux": "Linux"}


def _check_name(name: str) -> None:
    if not name or name in (".", "..") or "/" in name or os.sep in name:
        raise FreezeError(f"invalid --name {name!r}: give a plain file name")


def _data_pair(value: str) -> tuple[str, str]:
    source, destination = targets.split_data_option(value) or ("", "")
    if not source or not destination:
        separators = "SOURCE:DEST or SOURCE;DEST" if targets.is_windows() else "SOURCE:DEST"
        raise FreezeError(f"invalid --add-data {value!r}: use {separators} (DEST '.' for the top)")
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


def _check_outputs(dist: str, outputs: list[targets.Output], force: bool) -> None:
    """Refuse to replace what the build will write (``dist/NAME``, ``dist/NAME.exe``,
    ``dist/NAME.app``) unless procrun built it (or ``--force``)."""
    manifest = _manifest(dist)
    for output in outputs:
        path = output.path
        if not os.path.lexists(path):
            continue
        built = manifest.get(os.path.basename(path))
        ours = isinstance(built, dict) and built.get("stamp") == _stamp(path)
        if not ours and not force:
            raise FreezeError(
                f"{path} exists and procrun did not build it; move it away, or pass --force "
                "to replace it"
            )
        # PyInstaller replaces its own kind of output (and its cache keeps an unchanged
        # one); a folder cannot become a file, nor a file a folder.
        folder = os.path.isdir(path) and not os.path.islink(path)
        try:
            if folder and not output.folder:
                shutil.rmtree(path)
            elif not folder and (output.folder or not ours):
                os.remove(path)
        except OSError as error:
            raise _in_use(error, path) from None


def _in_use(error: OSError, path: str) -> FreezeError:
    """The error for an output that cannot be replaced: on Windows, a running program (or
    one open in another program, an antivirus scan) cannot be removed or overwritten."""
    where = error.filename or path
    return FreezeError(
        f"cannot replace {where}: {error.strerror or error}; if the app is running or the "
        "file is open in another program, close it, then build again",
        1,
    )


def _record(dist: str, outputs: list[targets.Output]) -> None:
    manifest = _manifest(dist)
    for output in outputs:
        manifest[os.path.basename(output.path)] = {
            "stamp": _stamp(output.path),
            "procrun": __version__,
        }
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
    onefile: bool,
) -> None:
    """Write the spec from ``templates/``; its paths are relative to its own folder."""
    folder = os.path.dirname(spec)
    entitlements = options.entitlements_file
    values: dict[str, object] = {
        "name": name,
        "name_repr": repr(name),
        "app_name_repr": repr(f"{name}.app"),
        "version": __version__,
        "console": repr(options.console),
        "icon": repr(os.path.abspath(options.icon) if options.icon else None),
        "target_arch": repr(options.target_arch),
        "codesign_identity": repr(options.codesign_identity),
        "entitlements_file": repr(os.path.abspath(entitlements) if entitlements else None),
        "bundle_identifier": repr(options.bundle_identifier),
    }
    build = render(f"{'onefile' if onefile else 'onedir'}.build.tmpl", **values)
    if targets.makes_app_bundle(options.console):
        build += render("app.bundle.tmpl", **values)
    text = render(
        "app.spec.tmpl",
        **values,
        mode_flag="--onefile" if onefile else "--onedir",
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

        saved_fd = _duplicate(2)
        root = logging.getLogger()
        saved_handlers, saved_level = root.handlers[:], root.level
        error: BaseException | None = None
        try:
            _flush(sys.stderr)
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
            _flush(sys.stderr)
            if saved_fd is None:
                os.close(2)
            else:
                os.dup2(saved_fd, 2)
                os.close(saved_fd)
            root.handlers[:] = saved_handlers
            root.setLevel(saved_level)
    if isinstance(error, OSError) and _inside(error.filename, dist):
        # PyInstaller removes and rewrites its outputs; Windows refuses that for a program
        # that runs, and PyInstaller's own retries (EXE._retry_operation) did not outlast it
        raise _in_use(error, dist)
    if error is not None:
        raise FreezeError(
            f"PyInstaller failed ({_describe(error)}); the full log is {log_path}",
            1,
            _log_tail(log_path),
        )


def _duplicate(fd: int) -> int | None:
    """A copy of ``fd``; None where the process has no such descriptor (a windowed
    ``pythonw`` has no standard streams at all)."""
    try:
        return os.dup(fd)
    except OSError:
        return None


def _flush(stream: TextIO | None) -> None:
    if stream is not None:  # None in a windowed process
        stream.flush()


def _inside(path: object, folder: str) -> bool:
    if not isinstance(path, str) or not path:
        return False
    try:
        return os.path.commonpath([os.path.abspath(path), folder]) == folder
    except ValueError:  # another drive, on Windows
        return False


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
