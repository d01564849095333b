"""The checker's and the freezer's paths for Windows and macOS, proved on Linux.

Windows and macOS cannot run here, so each test fakes one platform fact in a real child
process (``os`` without POSIX owners, a strict ANSI code page on redirected output, no
standard streams in a windowed app, ``sys.platform`` where the code reads it) and runs the
real code behind it.
"""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import clean_env, write

pytestmark = pytest.mark.timeout(120)

ROOT = Path(__file__).resolve().parent.parent

UNGUARDED = """
import multiprocessing

def double(x):
    return 2 * x

pool = multiprocessing.Pool(2)  # \u65e5\u672c \u2713
print(pool.map(double, [1, 2]))
"""


def run_faked(
    code: str,
    *args: str | Path,
    cwd: Path,
    env: dict[str, str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` (which fakes one platform fact, then calls procrun) in a new python."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *map(str, args)],
        cwd=cwd,
        env=clean_env(env),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
    )


def procrun(
    *args: str | Path, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run_faked(
        "from procrun.entry import main; raise SystemExit(main())", *args, cwd=cwd, env=env
    )


def assert_no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr and "Error:" not in result.stderr, result.stderr


# -- Windows: no POSIX owners ------------------------------------------------------------------

WITHOUT_OWNERS = """
import os, sys
for name in ("geteuid", "getegid", "chown"):  # Windows has none of them
    delattr(os, name)
from procrun.checker.fix_files import run_fix
sys.exit(run_fix(sys.argv[1:]))
"""


def test_fix_writes_files_where_os_has_no_owners(tmp_path: Path) -> None:
    script = write(tmp_path / "app.py", UNGUARDED)
    script.chmod(0o640)
    result = run_faked(WITHOUT_OWNERS, script.name, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "app.py: fixed: PR001" in result.stdout
    assert 'if __name__ == "__main__":' in script.read_text(encoding="utf-8")
    assert stat.S_IMODE(script.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["app.py"]  # no temporary file left


# -- Windows: redirected output is in the ANSI code page, strictly -----------------------------

#: A file name and a source line that cp1252 cannot encode, as they are printed escaped.
NAME, ESCAPED_NAME = "\u65e5\u672c.py", "\\u65e5\\u672c.py"
ESCAPED_LINE = "pool = multiprocessing.Pool(2)  # \\u65e5\\u672c \\u2713"
#: Redirected output on Windows (stderr escapes anyway: CPython always opens it so).
CP1252 = {"PYTHONIOENCODING": "cp1252"}


@pytest.mark.parametrize("output_format", ["text", "github", "json", "sarif"])
def test_check_escapes_what_the_code_page_cannot_encode(tmp_path: Path, output_format: str) -> None:
    write(tmp_path / NAME, UNGUARDED)
    result = procrun(
        "check", "--format", output_format, NAME, "missing\u2713.py", cwd=tmp_path, env=CP1252
    )
    assert_no_traceback(result)
    assert result.returncode == 1  # the missing file is a finding (E902), as in ruff
    if output_format == "text":
        assert f"{ESCAPED_NAME}:6:8 PR001 " in result.stdout
        assert f"    {ESCAPED_LINE}\n" in result.stdout
        assert "missing\\u2713.py:1:1 E902 No such file or directory\n" in result.stdout
        assert result.stdout.endswith(" in 2 files.\n")
    elif output_format == "github":
        assert f"::error file={ESCAPED_NAME},line=6,col=8,title=PR001::" in result.stdout
        assert "::error file=missing\\u2713.py,line=1,col=1,title=E902::" in result.stdout
    else:
        assert "PR001" in result.stdout and "E902" in result.stdout


def test_check_in_color_escapes_what_the_code_page_cannot_encode(tmp_path: Path) -> None:
    # rich writes to the same stream; it only adds a hint to the UnicodeEncodeError.
    write(tmp_path / NAME, UNGUARDED)
    code = """
        import sys
        from procrun.checker.check_command import run_check
        sys.exit(run_check(sys.argv[1:], color=True))
    """
    result = run_faked(code, NAME, cwd=tmp_path, env=CP1252)
    assert_no_traceback(result)
    assert result.returncode == 1
    assert ESCAPED_NAME in result.stdout and ESCAPED_LINE in result.stdout


@pytest.mark.parametrize("mode", [[], ["--check"], ["--diff"]])
def test_fix_escapes_what_the_code_page_cannot_encode(tmp_path: Path, mode: list[str]) -> None:
    write(tmp_path / NAME, UNGUARDED)
    result = procrun("fix", *mode, NAME, cwd=tmp_path, env=CP1252)
    assert_no_traceback(result)
    assert result.returncode == (1 if mode else 0)
    if mode == ["--diff"]:
        assert f"+    {ESCAPED_LINE}\n" in result.stdout
    else:
        assert f"{ESCAPED_NAME}: {'would fix' if mode else 'fixed'}: PR001" in result.stdout
    # the file itself keeps its characters: only the console shows escapes
    fixed = (tmp_path / NAME).read_text(encoding="utf-8")
    assert ("\u65e5\u672c \u2713" in fixed) and (("__main__" in fixed) != bool(mode))


# -- Windows and macOS: a windowed process has no standard streams ---------------------------


@pytest.mark.parametrize("command", ["run_check", "run_fix"])
def test_check_and_fix_run_without_standard_streams(tmp_path: Path, command: str) -> None:
    write(tmp_path / "app.py", UNGUARDED)
    code = f"""
        import sys
        sys.stdout = sys.stderr = None  # pythonw, a --windowed app
        from procrun.checker.check_command import run_check
        from procrun.checker.fix_files import run_fix
        status = {command}(["app.py", "missing.py"])
        sys.__stdout__.write(f"status {{status}}\\n")
    """
    result = run_faked(code, cwd=tmp_path)
    # check reports the missing file as a finding (1), fix as an error (2)
    assert result.stdout == f"status {1 if command == 'run_check' else 2}\n", result.stderr
    assert result.stderr == ""


# -- macOS: no fork once the command line's libraries are loaded -------------------------------

#: Loads the CLI stack, then fakes macOS where procrun reads it (sysconfig first: the name
#: of its data module holds the platform), records how each process starts, has each new
#: interpreter (the spawned workers: this one read the setting at its start) list what it
#: imports, runs procrun as ``python -m procrun`` or as the ``procrun`` console script does.
ON_MACOS = """
import multiprocessing.process, os, runpy, sys, sysconfig
import libcst, rich.console, typer, procrun.cli
sysconfig.get_config_vars()
sys.platform = "darwin"
os.environ["PYTHONPROFILEIMPORTTIME"] = "1"
started = []
start = multiprocessing.process.BaseProcess.start
def recorded_start(process):
    started.append(process._start_method)
    start(process)
multiprocessing.process.BaseProcess.start = recorded_start
form, sys.argv = sys.argv[1], ["procrun", *sys.argv[2:]]
try:
    if form == "-m":
        runpy.run_module("procrun", run_name="__main__", alter_sys=True)
    else:
        runpy.run_path(form, run_name="__main__")
finally:
    sys.stderr.write(f"started: {started}\\n")
"""


@pytest.mark.parametrize("form", ["-m", "console script"])
def test_check_jobs_spawns_its_workers_on_macos_and_finds_the_same(
    tmp_path: Path, form: str
) -> None:
    if form != "-m":
        form = str(Path(sys.executable).with_name("procrun"))
    corpus = str(ROOT / "tests" / "data" / "check_corpus")
    results, imported = {}, {}
    for jobs in ("1", "2"):
        args = ("check", "-f", "json", "--no-cache", "-j", jobs, corpus)  # every file checked
        result = run_faked(ON_MACOS, form, *args, cwd=tmp_path)
        assert result.returncode == 1, result.stderr  # findings (a Python 2 file: E999)
        lines = result.stderr.splitlines()
        imported[jobs] = {line.split("|")[-1].strip() for line in lines if "import time:" in line}
        result.stderr = "\n".join(line for line in lines if "import time:" not in line)
        results[jobs] = result
    assert results["1"].stdout == results["2"].stdout
    assert len(json.loads(results["2"].stdout)) > 50
    assert results["1"].stderr.splitlines()[-1] == "started: []"
    assert results["2"].stderr.splitlines()[-1] == "started: ['spawn', 'spawn']"
    assert results["1"].stderr.splitlines()[:-1] == results["2"].stderr.splitlines()[:-1]
    # the workers import the engine, and nothing of the command line
    assert not imported["1"]
    assert "procrun.checker.engine" in imported["2"]
    heavy = {"rich", "typer", "click", "libcst", "pydantic", "procrun.cli"}
    assert not {name for name in imported["2"] if name.split(".")[0] in heavy or name in heavy}


def test_check_jobs_forks_its_workers_on_linux() -> None:
    from procrun.checker.runner import parallel_start_method

    assert parallel_start_method() == ("fork" if sys.platform == "linux" else "spawn")


# -- procrun freeze: what is decided before PyInstaller runs -----------------------------------

#: Loads the CLI stack (rich reads the platform when imported), fakes the system PyInstaller
#: would build for (``sys.argv[1]``), and hides PyInstaller: a freeze that passes every check
#: ends at "PyInstaller is not installed".
FREEZE_ON = """
import sys, sysconfig
import procrun.cli, rich.console, rich.progress
sysconfig.get_config_vars()
sys.platform = sys.argv.pop(1)
sys.modules["PyInstaller"] = None
from procrun.entry import main
sys.exit(main(["freeze", *sys.argv[1:]]))
"""
NO_PYINSTALLER = "procrun freeze: error: PyInstaller is not installed"


def freeze_on(system: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_faked(FREEZE_ON, system, *args, cwd=cwd)


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert_no_traceback(result)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize("method", ["fork", "forkserver"])
def test_freeze_for_windows_refuses_a_start_method_it_lacks(tmp_path: Path, method: str) -> None:
    write(tmp_path / "app.py", "print('hi')\n")
    refused = freeze_on("win32", "app.py", "-s", method, cwd=tmp_path)
    assert refused.returncode == 2
    assert one_error_line(refused) == (
        f"procrun freeze: error: --start-method {method}: Windows has no {method} start "
        "method (only spawn); use one of those, or drop the option"
    )
    assert not (tmp_path / "build").exists()
    for system, allowed in (("win32", "spawn"), ("linux", method), ("darwin", method)):
        result = freeze_on(system, "app.py", "-s", allowed, cwd=tmp_path)
        assert one_error_line(result).startswith(NO_PYINSTALLER), system


def test_freeze_for_windows_protects_dist_name_exe(tmp_path: Path) -> None:
    write(tmp_path / "app.py", "print('hi')\n")
    mine = write(tmp_path / "dist" / "app.exe", "my own program\n")
    result = freeze_on("win32", "app.py", cwd=tmp_path)
    assert result.returncode == 2
    assert one_error_line(result) == (
        f"procrun freeze: error: {mine} exists and procrun did not build it; move it away, "
        "or pass --force to replace it"
    )
    assert mine.read_text() == "my own program\n"
    # a one-folder build is dist\app, and on Linux dist/app.exe is nobody's business
    for system, mode in (("win32", "--onedir"), ("linux", "--onefile")):
        assert one_error_line(freeze_on(system, "app.py", mode, cwd=tmp_path)).startswith(
            NO_PYINSTALLER
        )


def test_freeze_for_macos_protects_the_app_bundle_of_a_windowed_build(tmp_path: Path) -> None:
    write(tmp_path / "app.py", "print('hi')\n")
    mine = write(tmp_path / "dist" / "app.app" / "Contents" / "Info.plist", "<plist/>\n")
    result = freeze_on("darwin", "app.py", "--windowed", cwd=tmp_path)
    assert result.returncode == 2
    assert f"{tmp_path / 'dist' / 'app.app'} exists and procrun did not build it" in (
        one_error_line(result)
    )
    assert mine.exists()
    assert one_error_line(freeze_on("darwin", "app.py", cwd=tmp_path)).startswith(NO_PYINSTALLER)


SPLIT = """
import sys
sys.platform = sys.argv.pop(1)
from procrun.freezer.targets import split_data_option
for value in sys.argv[1:]:
    print(split_data_option(value))
"""


def test_add_data_takes_windows_separators_and_drives_on_windows_only(tmp_path: Path) -> None:
    values = [r"C:\data\config.toml;conf", r"C:\data\config.toml:conf", "config.toml;.",
              r"\\server\share\x.txt;.", "a;b:.", "C:/x", "plain"]  # fmt: skip
    windows = run_faked(SPLIT, "win32", *values, cwd=tmp_path)
    assert windows.stdout.splitlines() == [
        r"('C:\\data\\config.toml', 'conf')",
        r"('C:\\data\\config.toml', 'conf')",
        "('config.toml', '.')",
        r"('\\\\server\\share\\x.txt', '.')",
        "('a;b', '.')",
        "None",
        "None",
    ], windows.stderr
    linux = run_faked(SPLIT, "linux", *values, cwd=tmp_path)
    assert linux.stdout.splitlines()[2:] == [
        "None",  # ';' is part of a POSIX file name
        "None",
        "('a;b', '.')",
        "('C', '/x')",
        "None",
    ], linux.stderr


def test_freeze_for_windows_bundles_add_data_given_with_a_semicolon(tmp_path: Path) -> None:
    write(tmp_path / "app.py", "print('hi')\n")
    write(tmp_path / "config.toml", "x = 1\n")
    result = freeze_on("win32", "app.py", "--spec", "--add-data", "config.toml;.", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "[('config.toml', '.')]" in (tmp_path / "app.spec").read_text()
    bad = freeze_on("linux", "app.py", "--spec", "--add-data", "config.toml;.", cwd=tmp_path)
    assert one_error_line(bad) == (
        "procrun freeze: error: invalid --add-data 'config.toml;.': use SOURCE:DEST "
        "(DEST '.' for the top)"
    )


#: Windows: a program that runs (or that a virus scanner holds) cannot be removed.
IN_USE = """
import os, sys
real_remove = os.remove
def remove(path, *args, **kwargs):
    if os.path.basename(path).startswith("app"):
        raise PermissionError(13, "The process cannot access the file because it is being "
                              "used by another process", path)
    real_remove(path, *args, **kwargs)
os.remove = os.unlink = remove
sys.modules["PyInstaller"] = None
from procrun.entry import main
sys.exit(main(["freeze", *sys.argv[1:]]))
"""


def test_freeze_over_a_program_in_use_says_what_to_do(tmp_path: Path) -> None:
    write(tmp_path / "app.py", "print('hi')\n")
    running = write(tmp_path / "dist" / "app", "a program that runs\n")
    result = run_faked(IN_USE, "app.py", "--force", cwd=tmp_path)
    assert result.returncode == 1
    assert one_error_line(result) == (
        f"procrun freeze: error: cannot replace {running}: The process cannot access the file "
        "because it is being used by another process; if the app is running or the file is "
        "open in another program, close it, then build again"
    )
    assert running.exists()


MACOS_OPTIONS = ["--target-arch", "universal2", "--codesign-identity", "Developer ID: Me",
                 "--osx-entitlements-file", "app.entitlements",
                 "--osx-bundle-identifier", "com.example.app"]  # fmt: skip


class Step(str):
    """What a recorded spec step returns: its name, with attributes (``a.pure``) as names."""

    def __getattr__(self, attribute: str) -> str:
        return f"{self}.{attribute}"


def spec_steps(spec: Path) -> dict[str, tuple[tuple[object, ...], dict[str, object]]]:
    """Run a spec with PyInstaller's names (Analysis, PYZ, EXE, COLLECT, BUNDLE) recording
    their calls, so its steps can be read without PyInstaller's build machinery."""
    steps: dict[str, tuple[tuple[object, ...], dict[str, object]]] = {}

    def recorder(kind: str) -> object:
        def call(*args: object, **kwargs: object) -> Step:
            steps[kind] = (args, kwargs)
            return Step(kind)

        return call

    names: dict[str, object] = {"SPECPATH": str(spec.parent)}
    names.update({kind: recorder(kind) for kind in ("Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE")})
    exec(compile(spec.read_text(), str(spec), "exec"), names)
    return steps


def test_freeze_windowed_for_macos_writes_a_spec_with_the_bundle_step(tmp_path: Path) -> None:
    write(tmp_path / "app.py", "print('hi')\n")
    entitlements = write(tmp_path / "app.entitlements", "<plist/>\n")
    result = freeze_on("darwin", "app.py", "--windowed", "--spec", *MACOS_OPTIONS, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    spec = tmp_path / "app.spec"
    assert "procrun freeze --onedir" in spec.read_text()  # a .app is made from a folder
    steps = spec_steps(spec)
    assert list(steps) == ["Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE"]
    exe = steps["EXE"][1]
    assert exe["console"] is False and exe["exclude_binaries"] is True
    assert (exe["target_arch"], exe["codesign_identity"], exe["entitlements_file"]) == (
        "universal2",
        "Developer ID: Me",
        str(entitlements),
    )
    assert steps["BUNDLE"] == (("COLLECT",), {
        "name": "app.app", "icon": None, "bundle_identifier": "com.example.app",
    })  # fmt: skip


@pytest.mark.parametrize("system", ["darwin", "linux", "win32"])
def test_freeze_writes_the_bundle_step_only_for_a_windowed_macos_app(
    tmp_path: Path, system: str
) -> None:
    write(tmp_path / "app.py", "print('hi')\n")
    for mode in ("--console", "--windowed"):
        result = freeze_on(system, "app.py", mode, "--spec", "--force", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        steps = spec_steps(tmp_path / "app.spec")
        bundled = system == "darwin" and mode == "--windowed"
        assert ("BUNDLE" in steps) == bundled, (system, mode)
        assert ("COLLECT" in steps) == bundled, "one file, except a .app"


def test_freeze_refuses_a_one_file_app_bundle(tmp_path: Path) -> None:
    write(tmp_path / "app.py", "print('hi')\n")
    result = freeze_on("darwin", "app.py", "--windowed", "--onefile", cwd=tmp_path)
    assert result.returncode == 2
    assert one_error_line(result) == (
        "procrun freeze: error: --onefile --windowed: a macOS .app cannot be one file "
        "(PyInstaller deprecates it); drop --onefile: procrun builds the .app from a folder"
    )


@pytest.mark.parametrize(("system", "name"), [("linux", "Linux"), ("win32", "Windows")])
def test_freeze_refuses_macos_options_elsewhere(tmp_path: Path, system: str, name: str) -> None:
    write(tmp_path / "app.py", "print('hi')\n")
    write(tmp_path / "app.entitlements", "<plist/>\n")
    for flag, value in zip(MACOS_OPTIONS[::2], MACOS_OPTIONS[1::2], strict=True):
        result = freeze_on(system, "app.py", "--windowed", flag, value, cwd=tmp_path)
        assert result.returncode == 2
        assert one_error_line(result) == (
            f"procrun freeze: error: {flag} is for macOS builds (PyInstaller ignores it on "
            f"{name}); drop it, or build on macOS"
        )
    # and on macOS, each reaches the build
    for flag, value in zip(MACOS_OPTIONS[::2], MACOS_OPTIONS[1::2], strict=True):
        result = freeze_on("darwin", "app.py", "--windowed", flag, value, cwd=tmp_path)
        assert one_error_line(result).startswith(NO_PYINSTALLER), flag


def test_freeze_for_macos_checks_the_architecture(tmp_path: Path) -> None:
    write(tmp_path / "app.py", "print('hi')\n")
    result = freeze_on("darwin", "app.py", "--target-arch", "ppc", cwd=tmp_path)
    assert result.returncode == 2
    assert one_error_line(result) == (
        "procrun freeze: error: invalid --target-arch 'ppc': use one of x86_64, arm64, universal2"
    )


# -- a frozen app that is windowed has no stderr for its errors --------------------------------

WINDOWED_APP = """
import os, sys
sys.stdout = sys.stderr = None  # pythonw, a PyInstaller --windowed app
sys._MEIPASS = os.getcwd()
os.environ["PROCRUN_START_METHOD"] = "thread"
from procrun.frozen import main
main("app.py")
"""


def test_windowed_frozen_app_refuses_a_bad_start_method_with_status_2(tmp_path: Path) -> None:
    write(tmp_path / "app.py", "print('hi')\n")
    result = run_faked(WINDOWED_APP, cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", "")


def test_freeze_prints_what_the_code_page_cannot_encode_as_escapes(tmp_path: Path) -> None:
    write(tmp_path / NAME, "print('hi')\n")
    result = procrun("freeze", "--spec", NAME, cwd=tmp_path, env=CP1252)
    assert_no_traceback(result)
    assert result.returncode == 0
    assert f"Wrote {tmp_path}/{ESCAPED_NAME[:-3]}.spec" in result.stdout.replace("\n", "")


#: A windowed Python (pythonw) has neither descriptor 2 nor sys.stderr; a POSIX program
#: started with descriptor 2 closed gets the same from Python.
FREEZE_WITHOUT_STDERR = """
import sys
from procrun.entry import main
status = main(["freeze", "app.py", "--", "--no-such-pyinstaller-option"])
sys.stdout.write(f"stderr {sys.stderr}, status {status}\\n")
"""


def test_freeze_runs_pyinstaller_without_a_standard_error(tmp_path: Path) -> None:
    write(tmp_path / "app.py", "print('hi')\n")
    result = subprocess.run(
        ["sh", "-c", 'exec "$0" -c "$1" 2>&-', sys.executable, FREEZE_WITHOUT_STDERR],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.splitlines()[-1] == "stderr None, status 1", result.stdout
    log = (tmp_path / "build" / "procrun" / "app" / "build.log").read_text()
    assert "--no-such-pyinstaller-option" in log


def test_pyinstaller_options_that_shape_a_spec_point_to_procruns_own(tmp_path: Path) -> None:
    write(tmp_path / "app.py", "print('hi')\n")
    result = freeze_on("darwin", "app.py", "--", "--codesign-identity=Me", cwd=tmp_path)
    assert result.returncode == 2
    assert one_error_line(result) == (
        "procrun freeze: error: --codesign-identity after --: PyInstaller takes it only "
        "without a spec; give procrun freeze's own --codesign-identity before the --"
    )
    allowed = freeze_on("darwin", "app.py", "--", "--log-level", "DEBUG", cwd=tmp_path)
    assert one_error_line(allowed).startswith(NO_PYINSTALLER)
