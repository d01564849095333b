"""The command line: the forms ``python`` accepts, options, help, and bad input."""

from __future__ import annotations

import itertools
import re
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import (
    assert_ok,
    err,
    out,
    procrun_command,
    run,
    run_procrun,
    run_python,
    without_permission_override,
    write,
)

pytestmark = pytest.mark.smoke

SHOW_MAIN = """
import sys
print(__name__, sys.argv[1:], __package__ or "-")
"""


def test_run_subcommand_is_the_same_as_the_bare_form(tmp_path: Path) -> None:
    script = write(tmp_path / "show.py", SHOW_MAIN)
    bare = run_procrun(script, "a", "--b")
    explicit = run_procrun("run", script, "a", "--b")
    assert_ok(bare)
    assert out(bare) == out(explicit) == "__main__ ['a', '--b'] -\n"


def test_everything_after_the_script_belongs_to_it(tmp_path: Path) -> None:
    script = write(
        tmp_path / "cli.py",
        """
        import argparse
        parser = argparse.ArgumentParser(prog="cli.py", description="the script's help")
        parser.add_argument("--start-method")
        parser.parse_args()
        """,
    )
    result = run_procrun(script, "--help")
    assert_ok(result)
    assert "the script's help" in out(result)
    assert "procrun" not in out(result)
    result = run_procrun(script, "--start-method", "x", "-m", "y", "--version")
    assert result.returncode == 2  # argparse rejects -m and --version: the script saw them
    assert "unrecognized arguments: -m y --version" in err(result)


def test_file_without_py_suffix(tmp_path: Path) -> None:
    script = write(tmp_path / "tool", SHOW_MAIN)
    result = run_procrun(script, "x")
    assert_ok(result)
    assert out(result) == "__main__ ['x'] -\n"


POOL_MAIN = """
import sys
from multiprocessing import Pool

def work(x):
    return x * 2

with Pool(2) as pool:
    print(__name__, sys.argv[1:], pool.map(work, range(3)))
"""


def test_directory_with_main(tmp_path: Path, start_method: str) -> None:
    write(tmp_path / "app" / "__main__.py", POOL_MAIN)
    result = run_procrun(tmp_path / "app", "x", start_method=start_method)
    assert_ok(result)
    assert out(result) == "__main__ ['x'] [0, 2, 4]\n"


def test_zip_file_with_main(tmp_path: Path, start_method: str) -> None:
    archive = tmp_path / "app.pyz"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("__main__.py", POOL_MAIN)
    result = run_procrun(archive, "y", start_method=start_method)
    assert_ok(result)
    assert out(result) == "__main__ ['y'] [0, 2, 4]\n"


def test_module_and_package(tmp_path: Path, start_method: str) -> None:
    write(tmp_path / "pkg" / "__init__.py", "")
    write(tmp_path / "pkg" / "helpers.py", "def double(x):\n    return x * 2\n")
    module = POOL_MAIN.replace("return x * 2", "return double(x)")
    write(tmp_path / "pkg" / "tool.py", "from .helpers import double\n" + module)
    write(tmp_path / "pkg" / "__main__.py", "from .helpers import double\n" + module)
    for name in ("pkg.tool", "pkg"):
        result = run_procrun("-m", name, "z", start_method=start_method, cwd=tmp_path)
        assert_ok(result)
        assert out(result) == "__main__ ['z'] [0, 2, 4]\n"


def test_module_attributes_match_python_dash_m(tmp_path: Path) -> None:
    write(tmp_path / "pkg" / "__init__.py", "")
    write(
        tmp_path / "pkg" / "mod.py",
        "import sys\n"
        "print(__name__, __file__, __package__, __spec__.name, sys.argv, sys.path[0])\n",
    )
    expected = run_python("-m", "pkg.mod", "q", cwd=tmp_path)
    actual = run_procrun("-m", "pkg.mod", "q", cwd=tmp_path)
    assert_ok(actual)
    assert out(actual) == out(expected)


def test_version_and_help() -> None:
    version = run([*procrun_command(), "--version"])
    assert_ok(version)
    assert out(version).startswith("procrun ")
    help_ = run([*procrun_command(), "--help"], env={"NO_COLOR": "1", "COLUMNS": "100"})
    assert_ok(help_)
    for words in ("--start-method", "-m", "SCRIPT", "run"):
        assert words in out(help_)


#: What typer's own rendering leaves in a help page: a type after every parameter, braces
#: around a required argument.
HELP_ARTEFACTS = re.compile(r"<(bool|str|int|float|path|list\[[a-z]+\])>|\{[A-Z_]+\}")


@pytest.mark.parametrize("columns", [80, 120])
@pytest.mark.parametrize("page", ["", "run", "check", "fix", "freeze"])
def test_help_pages_read_like_ruffs(page: str, columns: int) -> None:
    """Flags with nothing after them, values with a meaningful name, arguments plain in the
    usage line, and prose wrapped by the terminal, not where the source breaks its lines."""
    command = [*procrun_command(), *([page] if page else []), "--help"]
    result = run(command, env={"NO_COLOR": "1", "COLUMNS": str(columns)})
    assert_ok(result)
    text = out(result)
    assert not HELP_ARTEFACTS.search(text), HELP_ARTEFACTS.search(text)
    lines = text.splitlines()
    usage = next(line for line in lines if "Usage:" in line)
    assert "[OPTIONS]" in usage and "{" not in usage
    # The page's prose, before its first panel: a line that ends mid-sentence far from the
    # right edge is the source's line break, not the terminal's.
    first_panel = next(i for i, line in enumerate(lines) if "╭" in line)
    prose = [line.strip() for line in lines[:first_panel]]
    for line, following in itertools.pairwise(prose):
        if following and line and not line.endswith((".", ":")) and not line.startswith("Usage"):
            assert len(line) > columns - 30, f"broken early: {line!r}"
    if page == "check":
        assert "--no-cache  " in text and "--format" in text and "text|json|sarif|github" in text


def test_python_dash_m_procrun_and_console_script_agree(tmp_path: Path) -> None:
    script = write(tmp_path / "hi.py", "print('hi')\n")
    assert out(run([sys.executable, "-m", "procrun", str(script)])) == "hi\n"


# -- bad input: one line on stderr, python's exit status, no traceback from procrun ------


def assert_one_line_error(result, status: int, *fragments: str) -> None:  # type: ignore[no-untyped-def]
    stderr = err(result)
    assert result.returncode == status, stderr
    assert stderr.count("\n") == 1, stderr
    assert stderr.startswith("procrun: ")
    assert "Traceback" not in stderr
    for fragment in fragments:
        assert fragment in stderr


def test_missing_file(tmp_path: Path) -> None:
    result = run_procrun(tmp_path / "nope.py")
    assert_one_line_error(result, 2, "can't open file", "nope.py", "No such file or directory")
    assert run_python(tmp_path / "nope.py").returncode == 2


def test_directory_without_main(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = run_procrun(tmp_path / "empty")
    assert_one_line_error(result, 1, "can't find '__main__' module", "empty")


def test_unreadable_file(tmp_path: Path) -> None:
    script = write(tmp_path / "secret.py", "print('no')\n")
    script.chmod(0o000)
    prefix = without_permission_override()
    expected = run([*prefix, sys.executable, str(script)])
    result = run([*prefix, *procrun_command(), str(script)])
    assert expected.returncode == 2
    assert_one_line_error(result, 2, "can't open file", "secret.py", "Permission denied")


def test_binary_file(tmp_path: Path) -> None:
    binary = tmp_path / "program.py"
    binary.write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00binary")
    result = run_procrun(binary)
    assert_one_line_error(result, 1, "binary file", "program.py")


def test_non_utf8_file_without_encoding_declaration(tmp_path: Path) -> None:
    latin = tmp_path / "latin.py"
    latin.write_bytes("print('caf\u00e9')\n".encode("latin-1"))
    result = run_procrun(latin)
    assert_one_line_error(result, 1, "not UTF-8", "latin.py", "coding")
    declared = tmp_path / "declared.py"
    declared.write_bytes("# -*- coding: latin-1 -*-\nprint('caf\u00e9')\n".encode("latin-1"))
    assert out(run_procrun(declared)) == "caf\u00e9\n"


def test_missing_module(tmp_path: Path) -> None:
    result = run_procrun("-m", "no_such_module_here", cwd=tmp_path)
    assert_one_line_error(result, 1, "No module named no_such_module_here")


def test_package_without_main(tmp_path: Path) -> None:
    write(tmp_path / "bare" / "__init__.py", "")
    result = run_procrun("-m", "bare", cwd=tmp_path)
    assert_one_line_error(result, 1, "bare.__main__", "cannot be directly executed")


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        (["--start-method", "bogus", "x.py"], "invalid start method 'bogus'"),
        (["-s"], "needs a value"),
        (["--frobnicate", "x.py"], "no such option: --frobnicate"),
        ([], "missing SCRIPT"),
        (["-m"], "needs a module name"),
    ],
)
def test_usage_errors(options: list[str], fragment: str) -> None:
    result = run([*procrun_command(), *options])
    stderr = err(result)
    assert result.returncode == 2, stderr
    assert stderr.startswith("procrun: error: ")
    assert fragment in stderr
    assert "Traceback" not in stderr


def test_bad_start_method_in_environment(tmp_path: Path) -> None:
    script = write(tmp_path / "s.py", "print(1)\n")
    result = run_procrun(script, env={"PROCRUN_START_METHOD": "threads"})
    assert result.returncode == 2
    assert "PROCRUN_START_METHOD" in err(result)


SYNTAX_ERRORS = {
    "missing_paren.py": "x = (1,\nprint(x)\n",
    "return_outside.py": "import os\nreturn 5\n",
    "bad_indent.py": "def f():\nreturn 1\n",
}


@pytest.mark.parametrize("name", sorted(SYNTAX_ERRORS))
def test_syntax_error_is_reported_as_python_does(tmp_path: Path, name: str) -> None:
    script = write(tmp_path / name, SYNTAX_ERRORS[name])
    expected = run_python(script)
    actual = run_procrun(script)
    assert (actual.returncode, actual.stderr) == (expected.returncode, expected.stderr)


def test_python2_code_says_it_is_python2(tmp_path: Path) -> None:
    script = write(tmp_path / "old.py", "from processing import Process\nprint 'hello'\n")
    expected = run_python(script)
    actual = run_procrun(script)
    assert actual.returncode == expected.returncode == 1
    assert err(actual).startswith(err(expected))
    assert "Python 2" in err(actual).removeprefix(err(expected))
