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
    assert result.returncode == 2  # the missing file
    assert "missing\\u2713.py: error: No such file or directory" in result.stderr
    if output_format == "text":
        assert f"{ESCAPED_NAME}:6:8 PR001 " in result.stdout
        assert f"    {ESCAPED_LINE}\n" in result.stdout
        assert result.stdout.endswith("Found 2 findings in 1 file.\n")
    elif output_format == "github":
        assert f"::error file={ESCAPED_NAME},line=6,col=8,title=PR001::" in result.stdout
    else:
        assert "PR001" in result.stdout


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
    assert result.stdout == "status 2\n", result.stderr
    assert result.stderr == ""


# -- macOS: no fork once the command line's libraries are loaded -------------------------------

#: Loads the CLI stack, then fakes macOS where procrun reads it (sysconfig first: the name
#: of its data module holds the platform), records how each process starts, runs procrun
#: as ``python -m procrun`` or as the ``procrun`` console script does.
ON_MACOS = """
import multiprocessing.process, runpy, sys, sysconfig
import libcst, rich.console, typer, procrun.cli
sysconfig.get_config_vars()
sys.platform = "darwin"
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
    results = {}
    for jobs in ("1", "2"):
        result = run_faked(ON_MACOS, form, "check", "-f", "json", "-j", jobs, corpus, cwd=tmp_path)
        assert result.returncode == 2, result.stderr  # the corpus holds a Python 2 file
        results[jobs] = result
    assert results["1"].stdout == results["2"].stdout
    assert len(json.loads(results["2"].stdout)) > 50
    assert results["1"].stderr.splitlines()[-1] == "started: []"
    assert results["2"].stderr.splitlines()[-1] == "started: ['spawn', 'spawn']"
    assert results["1"].stderr.splitlines()[:-1] == results["2"].stderr.splitlines()[:-1]


def test_check_jobs_forks_its_workers_on_linux() -> None:
    from procrun.checker.runner import parallel_start_method

    assert parallel_start_method() == ("fork" if sys.platform == "linux" else "spawn")
