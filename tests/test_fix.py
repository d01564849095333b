"""``procrun fix``: the pure core, the command line, and fixed scripts run for real."""

from __future__ import annotations

import ast
import io
import os
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import (
    assert_ok,
    out,
    procrun_command,
    run,
    run_procrun,
    without_permission_override,
    write,
)

from procrun.checker.fix import FixResult, SourceError, fix_source
from procrun.checker.fix_files import run_fix

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "check_corpus"


def fixed(source: str, frozen: bool | None = None) -> FixResult:
    """Fix ``source`` (dedented) and check that fixing the result changes nothing."""
    result = fix_source(textwrap.dedent(source).lstrip("\n"), frozen=frozen)
    again = fix_source(result.source, frozen=frozen)
    assert again.source == result.source, f"not idempotent:\n{result.source}"
    ast.parse(result.source)
    return result


def guard_body(source: str) -> list[str]:
    """The source lines of the statements in the (last) main guard."""
    tree = ast.parse(source)
    guards = [s for s in tree.body if isinstance(s, ast.If) and "__main__" in ast.unparse(s.test)]
    return [ast.unparse(s) for s in guards[-1].body]


# -- fix_source ------------------------------------------------------------------------------


def test_unguarded_process_goes_under_a_guard_with_freeze_support_first() -> None:
    result = fixed(
        """
        from multiprocessing import Process


        def foo():
            print("hello")


        p = Process(target=foo)
        p.start()
        """
    )
    assert result.source == textwrap.dedent(
        """\
        from multiprocessing import Process, freeze_support


        def foo():
            print("hello")


        if __name__ == "__main__":
            freeze_support()
            p = Process(target=foo)
            p.start()
        """
    )
    assert [line.split(":")[0] for line in result.applied] == ["PR001", "PR002"]


def test_file_that_starts_no_process_is_unchanged() -> None:
    source = "import json\n\nprint(json.dumps({'a': 1}))  # no processes here\n"
    result = fix_source(source)
    assert result.source is source
    assert not result.changed and not result.applied and not result.refused


def test_library_module_with_nothing_at_import_time_is_unchanged() -> None:
    source = (
        "from multiprocessing import Pool\n\n\n"
        "def run(f, xs):\n    with Pool() as p:\n        return p.map(f, xs)\n"
    )
    assert not fix_source(source).changed


def test_already_guarded_file_is_unchanged() -> None:
    source = textwrap.dedent(
        """\
        import multiprocessing as mp


        def f(x):
            return x


        if __name__ == '__main__':  # keep me
            mp.freeze_support()
            with mp.Pool(2) as pool:
                print(pool.map(f, [1]))
        """
    )
    assert fix_source(source).source == source


def test_guard_opening_with_a_main_that_freezes_first_is_unchanged() -> None:
    source = textwrap.dedent(
        """\
        from concurrent.futures import ProcessPoolExecutor
        from multiprocessing import freeze_support


        def main():
            \"\"\"Run.\"\"\"
            freeze_support()
            with ProcessPoolExecutor(2) as ex:
                print(list(ex.map(abs, [-1])))


        if __name__ == "__main__":
            main()
        """
    )
    assert fix_source(source).source == source


def test_process_built_at_import_but_started_under_the_guard_is_unchanged() -> None:
    # nothing starts at import time (no PR001) and freeze_support() is first (no PR002)
    source = textwrap.dedent(
        """\
        import multiprocessing


        def hello():
            print("hello")


        worker = multiprocessing.Process(target=hello)

        if __name__ == "__main__":
            multiprocessing.freeze_support()
            worker.start()
            worker.join()
        """
    )
    assert fix_source(source).source == source


def test_assignment_only_the_actions_use_joins_them() -> None:
    result = fixed(
        """
        from multiprocessing import Pool


        def f(x):
            return x


        with Pool(2) as pool:
            values = pool.map(f, "aab")

        counts = {}
        for v in values:
            counts[v] = counts.get(v, 0) + 1
        print(counts)
        """
    )
    assert guard_body(result.source)[2] == "counts = {}"
    assert "\ncounts" not in result.source


def test_comments_blank_lines_and_formatting_are_kept() -> None:
    result = fixed(
        '''
        #!/usr/bin/env python
        """A script."""
        import sys  # the system
        from multiprocessing import Pool

        # Weights, as a constant.
        WEIGHTS = {  'a' : 1,
                     'b' : 2 }


        def weigh(k):  # a worker
            return WEIGHTS[k]


        # Say hello first.
        print( "start" )  # trailing comment


        def unused():
            pass


        # The pool.
        with Pool(2) as pool:
            # inside
            print(pool.map(weigh, "ab"))
        # the end
        '''
    )
    source = result.source
    for kept in (
        "#!/usr/bin/env python\n",
        "import sys  # the system\n",
        "# Weights, as a constant.\nWEIGHTS = {  'a' : 1,\n             'b' : 2 }\n",
        "def weigh(k):  # a worker\n    return WEIGHTS[k]\n",
        "def unused():\n    pass\n",
        "# the end\n",
    ):
        assert kept in source
    # moved statements carry their comments, indented by the file's indentation
    assert (
        'if __name__ == "__main__":\n    freeze_support()\n    # Say hello first.\n'
        '    print( "start" )  # trailing comment\n\n    # The pool.\n'
        '    with Pool(2) as pool:\n        # inside\n        print(pool.map(weigh, "ab"))\n'
    ) in source
    assert source.index("def unused") < source.index("if __name__")
    assert not any(line != line.rstrip() for line in source.splitlines())


def test_actions_are_guarded_in_place_when_a_later_definition_rebinds_their_names() -> None:
    result = fixed(
        """
        from multiprocessing import Process
        def show():
            print("one")
        show()
        def show():
            print("two")
        Process(target=show).start()
        """
    )
    tree = ast.parse(result.source)
    kinds = [type(s).__name__ for s in tree.body]
    assert kinds == ["ImportFrom", "FunctionDef", "If", "FunctionDef", "If"]
    assert guard_body(result.source) == ["Process(target=show).start()"]


def test_imports_between_actions_keep_their_place() -> None:
    # sys.path may be changed for the import that follows: never move an action past one
    result = fixed(
        """
        import sys
        import multiprocessing
        sys.path.insert(0, "lib")
        import json
        def f():
            pass
        multiprocessing.Process(target=f).start()
        """
    )
    lines = result.source.splitlines()
    assert lines.index('    sys.path.insert(0, "lib")') < lines.index("import json")
    assert lines[lines.index("import json") - 2] == "    multiprocessing.freeze_support()"


def test_existing_guard_is_merged_with_freeze_support_first() -> None:
    result = fixed(
        """
        import multiprocessing as mp

        print("setting up")


        def f(x):
            return x


        if __name__ == '__main__':  # main
            # run it
            with mp.Pool(2) as pool:
                print(pool.map(f, [1, 2]))
        """,
        frozen=True,  # a guarded script lacks freeze_support() only in a frozen program
    )
    assert result.source.count("__main__") == 1
    assert "if __name__ == '__main__':  # main\n    mp.freeze_support()\n" in result.source
    assert guard_body(result.source)[:2] == ["mp.freeze_support()", "print('setting up')"]
    assert "    # run it\n    with mp.Pool(2)" in result.source


def test_one_line_guard_is_opened_up() -> None:
    result = fixed(
        """
        from processing import Process
        def f(): print('hi')
        if __name__ == "__main__": Process(target=f).start()  # go
        """,
        frozen=True,
    )
    assert result.source.endswith(
        'if __name__ == "__main__":  # go\n    freezeSupport()\n    Process(target=f).start()\n'
    )


@pytest.mark.parametrize(
    ("imports", "start", "call", "import_line"),
    [
        ("from multiprocessing import Pool", "Pool(2)", "freeze_support()",
         "from multiprocessing import Pool, freeze_support"),
        ("import multiprocessing", "multiprocessing.Pool(2)", "multiprocessing.freeze_support()",
         "import multiprocessing"),
        ("import multiprocessing as mp", "mp.Pool(2)", "mp.freeze_support()", None),
        ("from multiprocessing import Pool as P, freeze_support as fs", "P(2)", "fs()", None),
        ("from multiprocessing import *", "Pool(2)", "freeze_support()", None),
        ("import processing", "processing.Pool(2)", "processing.freezeSupport()", None),
        ("import processing as pr", "pr.Pool(2)", "pr.freezeSupport()", None),
        ("from processing import Pool", "Pool(2)", "freezeSupport()",
         "from processing import Pool, freezeSupport"),
        ("from processing import Pool, freezeSupport as fz", "Pool(2)", "fz()", None),
        ("from concurrent.futures import ProcessPoolExecutor", "ProcessPoolExecutor(2)",
         "freeze_support()", "from multiprocessing import freeze_support"),
        ("import concurrent.futures as cf", "cf.ProcessPoolExecutor(2)", "freeze_support()",
         "from multiprocessing import freeze_support"),
        ("import multiprocessing as mp", "mp.get_context('spawn').Pool(2)",
         "mp.freeze_support()", None),
    ],
)  # fmt: skip
def test_freeze_support_is_spelled_after_the_imports(
    imports: str, start: str, call: str, import_line: str | None
) -> None:
    result = fixed(f"{imports}\n\n\ndef f(x):\n    return x\n\n\npool = {start}\n")
    assert guard_body(result.source) == [call, f"pool = {start}"]
    if import_line is not None:
        assert import_line in result.source.splitlines()
    exec(compile(result.source, "<fixed>", "exec"), {"__name__": "not_main"})


@pytest.mark.parametrize(
    ("freeze", "imports"),
    [
        ("freeze_support()", "from multiprocessing import Pool, freeze_support"),
        ("multiprocessing.freeze_support()",
         "import multiprocessing\nfrom multiprocessing import Pool"),
        ("processing.freezeSupport()", "import processing\nfrom processing import Pool"),
    ],
)  # fmt: skip
def test_late_or_unguarded_freeze_support_is_moved_first(freeze: str, imports: str) -> None:
    late = fixed(
        f"{imports}\n\n\ndef f(x):\n    return x\n\n\nif __name__ == '__main__':\n"
        f"    print('hi')\n    {freeze}\n    Pool(1).map(f, [1])\n"
    )
    assert guard_body(late.source) == [freeze, "print('hi')", "Pool(1).map(f, [1])"]
    line = late.original.splitlines().index(f"    {freeze}") + 1
    assert late.applied == [
        f"PR002: freeze_support() (line {line}) moved to the start of the main guard"
    ]
    loose = fixed(f"{imports}\n{freeze}\n\n\ndef f(x):\n    return x\n\n\nPool(1).map(f, [1])\n")
    assert guard_body(loose.source) == [freeze, "Pool(1).map(f, [1])"]
    assert loose.source.count(freeze) == 1


def test_freeze_support_is_not_repeated_in_the_merged_guard() -> None:
    result = fixed(
        """
        from multiprocessing import freeze_support, Pool
        freeze_support()
        def f(x): return x
        print(Pool(1).map(f, [2]))
        if __name__ == "__main__":
            freeze_support()
            Pool(1).map(f, [1])
        """
    )
    assert guard_body(result.source) == [
        "freeze_support()",
        "print(Pool(1).map(f, [2]))",
        "Pool(1).map(f, [1])",
    ]
    assert result.source.count("freeze_support()") == 1
    assert "PR002: freeze_support() (line 6) removed: the guard calls it first" in result.applied


def test_semicolon_lines_are_split_only_where_needed() -> None:
    result = fixed(
        """
        import processing; import sys
        def f(): print('hi')
        X = 1; p = processing.Process(target=f); p.start()
        """
    )
    assert "import processing; import sys\n" in result.source
    assert "\nX = 1\n" in result.source
    assert guard_body(result.source) == [
        "processing.freezeSupport()",
        "p = processing.Process(target=f)",
        "p.start()",
    ]
    assert "    p = processing.Process(target=f); p.start()\n" in result.source


def test_crlf_newlines_and_tab_indentation_are_kept() -> None:
    source = (
        "from multiprocessing import Pool\r\n\r\ndef f(x):\r\n\treturn x\r\n\r\n"
        "with Pool(1) as p:\r\n\tprint(p.map(f, [1]))\r\n"
    )
    result = fix_source(source)
    assert "\n" not in result.source.replace("\r\n", "")
    assert (
        'if __name__ == "__main__":\r\n\tfreeze_support()\r\n\twith Pool(1) as p:\r\n\t\tprint('
        in result.source
    )


def test_process_subclass_and_manager_count_as_starting_processes() -> None:
    subclass = fixed(
        "import multiprocessing\n\n\nclass W(multiprocessing.Process):\n"
        "    def run(self):\n        print('run')\n\n\nW().start()\n"
    )
    assert guard_body(subclass.source) == ["multiprocessing.freeze_support()", "W().start()"]
    manager = fixed("from multiprocessing import Manager\nm = Manager()\nprint(m.list())\n")
    assert guard_body(manager.source)[0] == "freeze_support()"


@pytest.mark.parametrize(
    ("source", "line", "fragments"),
    [
        (  # the guidelines' trap: a global only the main process computes
            "import sys\nfrom multiprocessing import Pool\n\n\ndef load():\n    return [1, 2]\n\n\n"
            "data = load()\n\n\ndef f(i):\n    return data[i]\n\n\n"
            "with Pool(2) as pool:\n    print(pool.map(f, [0, 1]))\n",
            12, ["global 'data'", "line 9", "'f'", "pass it to 'f' as an argument"],
        ),
        (  # a constant, changed in place by the main process
            "from multiprocessing import Process\nCONFIG = {}\nCONFIG['debug'] = True\n\n\n"
            "def show():\n    print(CONFIG)\n\n\nProcess(target=show).start()\n",
            6, ["global 'CONFIG'", "line 3", "'show'"],
        ),
        (  # read through a helper the worker calls
            "from multiprocessing import Pool\n\n\ndef helper():\n    return SCALE\n\n\n"
            "def f(x):\n    return x * helper()\n\n\nSCALE = int(input())\n"
            "Pool(1).map(f, [1])\n",
            4, ["global 'SCALE'", "(set at line 12", "'helper'"],
        ),
        (  # set under an existing guard, read by a Process subclass
            "import multiprocessing\n\n\nclass Worker(multiprocessing.Process):\n"
            "    def run(self):\n        print(LIMIT)\n\n\nif __name__ == '__main__':\n"
            "    LIMIT = 3\n    Worker().start()\n",
            4, ["global 'LIMIT'", "line 9", "'Worker'"],
        ),
        (  # rebound by a main-process function
            "from multiprocessing import Pool\nMODE = 'slow'\n\n\ndef configure():\n"
            "    global MODE\n    MODE = 'fast'\n\n\ndef f(x):\n    return MODE\n\n\n"
            "configure()\nPool(1).map(f, [1])\n",
            10, ["global 'MODE'", "changed by 'configure'"],
        ),
        (
            "from multiprocessing import Pool\n\n\ndef main():\n    k = 3\n"
            "    with Pool(2) as pool:\n        print(pool.map(lambda x: x * k, [1]))\n"
            "\n\nmain()\n",
            7, ["a lambda is sent to child processes"],
        ),
        (
            "from multiprocessing import Process\n\n\ndef main():\n    def work():\n"
            "        print('w')\n    Process(target=work).start()\n\n\nmain()\n",
            7, ["nested function 'work'"],
        ),
        (
            "from concurrent.futures import ProcessPoolExecutor\n\nif __name__ == '__main__':\n"
            "    def work(x):\n        return x\n    with ProcessPoolExecutor() as ex:\n"
            "        print(ex.submit(work, 1).result())\n",
            7, ["'work' (defined at line 4"],
        ),
    ],
)  # fmt: skip
def test_refused_when_children_would_miss_what_the_main_process_made(
    source: str, line: int, fragments: list[str]
) -> None:
    result = fix_source(source, frozen=True)  # some are guarded already: PR002 brings them
    assert result.source == source
    assert result.refused, "expected a refusal"
    refusal = result.refused[0]
    assert refusal.line == line
    assert refusal.message.startswith("not fixed: ")
    for fragment in fragments:
        assert fragment in refusal.message


def test_constants_and_arguments_are_not_refused() -> None:
    result = fixed(
        """
        import sys
        from multiprocessing import Pool
        SIZE = 4  # a constant: children replay it
        N = int(sys.argv[1]) if len(sys.argv) > 1 else SIZE
        results = []


        def square(x):
            return x * x + SIZE


        def collect(r):
            results.append(r)


        def main(n):
            with Pool(2) as pool:
                pool.map_async(square, range(n), callback=collect).wait()
            print(results)


        main(N)
        """
    )
    assert result.changed and not result.refused


def test_a_guarded_script_is_left_alone_unless_the_program_is_frozen(tmp_path: Path) -> None:
    source = "import multiprocessing as mp\n\nif __name__ == '__main__':\n    mp.Pool(2).close()\n"
    assert not fix_source(source).changed
    assert fix_source(source, frozen=True).changed
    (tmp_path / ".git").mkdir()  # the project's root: the search for a spec stops here
    script = write(tmp_path / "app.py", source)
    assert fix_cli(str(script)) == (0, "", "") and script.read_text() == source
    (tmp_path / "app.spec").write_text("# PyInstaller spec\n")
    code, stdout, _ = fix_cli(str(script))
    assert code == 0 and "fixed: PR002" in stdout and "mp.freeze_support()" in script.read_text()


def test_modules_changed_by_the_main_process_are_not_refused() -> None:
    # children import modules themselves, under procrun as under python
    result = fixed(
        """
        import os
        import sys
        from multiprocessing import Pool

        sys.path.insert(0, "lib")
        os.environ["MODE"] = "fast"


        def mode(_):
            return os.environ["MODE"], sys.path[0]


        with Pool(1) as pool:
            print(pool.map(mode, [0]))
        """
    )
    assert result.changed and not result.refused


def test_guard_that_starts_no_process_needs_no_freeze_support() -> None:
    source = (
        "import unittest\nfrom multiprocessing import Pool\n\n\n"
        "class T(unittest.TestCase):\n    def test(self):\n        Pool(1).close()\n\n\n"
        "if __name__ == '__main__':\n    unittest.main()\n"
    )
    assert not fix_source(source).changed


def test_guard_left_empty_by_the_moved_freeze_support_goes() -> None:
    result = fixed(
        """
        from multiprocessing import Pool, freeze_support
        def f(x): return x
        with Pool(1) as p: print(p.map(f, [1]))
        import json
        if __name__ == "__main__":
            freeze_support()
        """
    )
    assert result.source.count("__main__") == 1
    assert result.source.endswith("import json\n")


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("print 'hello'\n", "Python 2"),
        ("def f(:\n", "syntax error"),
        ("x = 1\0\n", "binary"),
    ],
)
def test_unparsable_source_is_an_error(source: str, fragment: str) -> None:
    with pytest.raises(SourceError, match=fragment):
        fix_source(source, "bad.py")


# -- the command line --------------------------------------------------------------------


UNGUARDED = """\
from multiprocessing import Pool


def square(x):
    return x * x


with Pool(2) as pool:
    print(pool.map(square, range(4)))
"""


def fix_cli(*args: str) -> tuple[int, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    paths = [a for a in args if not a.startswith("--")]
    code = run_fix(
        paths, diff="--diff" in args, check="--check" in args, stdout=stdout, stderr=stderr
    )
    return code, stdout.getvalue(), stderr.getvalue()


def test_fix_writes_in_place_and_keeps_the_mode(tmp_path: Path) -> None:
    script = write(tmp_path / "job.py", UNGUARDED)
    script.chmod(0o751)
    code, stdout, stderr = fix_cli(str(script))
    assert (code, stderr) == (0, "")
    assert f"{script}: fixed: PR001" in stdout
    assert 'if __name__ == "__main__":\n    freeze_support()\n' in script.read_text()
    assert script.stat().st_mode & 0o777 == 0o751
    assert sorted(os.listdir(tmp_path)) == ["job.py"]
    assert fix_cli(str(script)) == (0, "", "")


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0,
    reason="only root can give a file to another user (and only where files have owners)",
)
def test_fix_by_root_keeps_the_owner(tmp_path: Path) -> None:
    script = write(tmp_path / "job.py", UNGUARDED)
    os.chown(script, 4321, 4321)
    assert fix_cli(str(script))[0] == 0
    assert (script.stat().st_uid, script.stat().st_gid) == (4321, 4321)


def test_diff_prints_a_unified_diff_and_changes_nothing(tmp_path: Path) -> None:
    script = write(tmp_path / "job.py", UNGUARDED)
    code, stdout, _ = fix_cli("--diff", str(script))
    assert code == 1
    assert stdout.startswith(f"--- {script}\n+++ {script}\n@@ ")
    assert '+if __name__ == "__main__":\n' in stdout
    assert "-with Pool(2) as pool:\n" in stdout
    assert script.read_text() == UNGUARDED


def test_check_exits_1_when_something_would_change_and_0_when_clean(tmp_path: Path) -> None:
    script = write(tmp_path / "job.py", UNGUARDED)
    code, stdout, _ = fix_cli("--check", str(script))
    assert code == 1 and "would fix" in stdout
    assert script.read_text() == UNGUARDED
    fix_cli(str(script))
    assert fix_cli("--check", str(script)) == (0, "", "")


def test_refused_file_is_reported_left_alone_and_exits_1(tmp_path: Path) -> None:
    source = (
        "from multiprocessing import Pool\ndata = list(map(int, '12'))\n\n\n"
        "def f(i):\n    return data[i]\n\n\nPool(1).map(f, [0])\n"
    )
    script = write(tmp_path / "job.py", source)
    code, stdout, stderr = fix_cli(str(script))
    assert code == 1 and stderr == ""
    assert stdout.startswith(f"{script}:5: not fixed: global 'data'")
    assert script.read_text() == source


def test_directories_are_searched_skipping_venvs_and_build_output(tmp_path: Path) -> None:
    for relative in ("a.py", "pkg/b.py", "build/c.py", "dist/d.py", ".git/e.py", "venv/f.py",
                     "pkg/__pycache__/g.py", "notes.txt"):  # fmt: skip
        write(tmp_path / relative, UNGUARDED)
    (tmp_path / "venv" / "pyvenv.cfg").write_text("home = /usr\n")
    code, stdout, _ = fix_cli("--check", str(tmp_path))
    assert code == 1
    named = sorted({line.split(":")[0] for line in stdout.splitlines()})
    assert named == [str(tmp_path / "a.py"), str(tmp_path / "pkg" / "b.py")]


def test_bad_files_are_one_line_each_and_the_others_are_still_fixed(tmp_path: Path) -> None:
    write(tmp_path / "a_good.py", UNGUARDED)
    (tmp_path / "b_binary.py").write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00binary")
    latin = UNGUARDED.replace("x * x", "x * x  # \u00e9")
    (tmp_path / "c_latin.py").write_bytes(latin.encode("latin-1"))
    write(tmp_path / "d_python2.py", "from multiprocessing import Process\nprint 'hello'\n")
    write(tmp_path / "e_syntax.py", "def broken(:\n")
    write(tmp_path / "z_good.py", UNGUARDED)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    code, stdout, stderr = fix_cli(str(tmp_path), str(tmp_path / "missing.py"))
    assert code == 2
    errors = stderr.splitlines()
    names = ("b_binary.py", "c_latin.py", "d_python2.py", "e_syntax.py", "missing.py")
    assert [e.split(":")[0] for e in errors] == [str(tmp_path / n) for n in names]
    assert "binary file" in errors[0]
    assert "not UTF-8 and no encoding declaration" in errors[1]
    assert "Python 2" in errors[2]
    assert "syntax error" in errors[3]
    assert "No such file" in errors[4]
    assert all(": error: " in e for e in errors)
    for name in ("b_binary.py", "c_latin.py", "d_python2.py", "e_syntax.py"):
        assert (tmp_path / name).read_bytes() == before[name]
    for name in ("a_good.py", "z_good.py"):
        assert "freeze_support()" in (tmp_path / name).read_text()
    assert "Traceback" not in stdout + stderr


def test_declared_encoding_bom_and_crlf_are_kept(tmp_path: Path) -> None:
    latin = tmp_path / "latin.py"
    latin.write_bytes(
        ("# -*- coding: latin-1 -*-\n" + UNGUARDED.replace("x * x", "x * x  # caf\u00e9")).encode(
            "latin-1"
        )
    )
    bom = tmp_path / "bom.py"
    bom.write_bytes(b"\xef\xbb\xbf" + UNGUARDED.replace("\n", "\r\n").encode())
    assert fix_cli(str(latin), str(bom))[0] == 0
    assert "# caf\u00e9".encode("latin-1") in latin.read_bytes()
    assert b"freeze_support()" in latin.read_bytes()
    data = bom.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"freeze_support()\r\n" in data
    assert b"\n" not in data.replace(b"\r\n", b"")


def test_symbolic_link_is_fixed_through(tmp_path: Path) -> None:
    target = write(tmp_path / "real.py", UNGUARDED)
    link = tmp_path / "link.py"
    link.symlink_to(target)
    assert fix_cli(str(link))[0] == 0
    assert link.is_symlink()
    assert "freeze_support()" in target.read_text()


def test_command_line_exit_statuses(tmp_path: Path) -> None:
    script = write(tmp_path / "job.py", UNGUARDED)
    check = run([*procrun_command(), "fix", "--check", str(script)])
    assert check.returncode == 1, check.stderr
    assert run([*procrun_command(), "fix", "--diff", str(script)]).stdout.startswith(b"--- ")
    assert_ok(run([*procrun_command(), "fix", str(script)]))
    assert_ok(run([*procrun_command(), "fix", "--check", str(script)]))
    usage = run([*procrun_command(), "fix"])
    assert usage.returncode == 2 and usage.stderr.count(b"\n") == 1
    assert b"procrun: error:" in usage.stderr


def test_unwritable_directory_leaves_the_original_untouched(tmp_path: Path) -> None:
    prefix = without_permission_override()
    directory = tmp_path / "ro"
    script = write(directory / "job.py", UNGUARDED)
    directory.chmod(0o555)
    try:
        result = run([*prefix, *procrun_command(), "fix", str(script)])
    finally:
        directory.chmod(0o755)
    assert result.returncode == 2
    stderr = result.stderr.decode()
    assert stderr.startswith(f"{script}: error: cannot write: Permission denied")
    assert stderr.count("\n") == 1
    assert script.read_text() == UNGUARDED
    assert os.listdir(directory) == ["job.py"]


def test_unreadable_file_is_an_error(tmp_path: Path) -> None:
    prefix = without_permission_override()
    secret = write(tmp_path / "secret.py", UNGUARDED)
    other = write(tmp_path / "other.py", UNGUARDED)
    secret.chmod(0o000)
    result = run([*prefix, *procrun_command(), "fix", str(secret), str(other)])
    assert result.returncode == 2
    assert result.stderr.decode() == f"{secret}: error: cannot read: Permission denied\n"
    assert "freeze_support()" in other.read_text()


# -- fixed scripts, run for real -----------------------------------------------------------

#: Runs a script as ``python script.py`` would, under the spawn start method.
SPAWN_PYTHON = (
    "import multiprocessing, runpy, sys; multiprocessing.set_start_method('spawn'); "
    "sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
)

ROUND_TRIP_SCRIPTS = {
    "moved_past_definitions.py": """\
        import sys
        from multiprocessing import Pool

        WEIGHTS = (1, 2, 3)  # a constant: stays at module level
        print("start", sys.argv[1:])


        def weigh(i):
            return i * WEIGHTS[i % 3]


        with Pool(2) as pool:
            print(pool.map(weigh, range(6)))
        print("done")
        """,
    "processing_in_place.py": """\
        import processing
        print("importing")
        import json


        def child(q, n):
            q.put(json.dumps({"n": n}))


        q = processing.Queue()
        workers = [processing.Process(target=child, args=(q, n)) for n in range(3)]
        for w in workers:
            w.start()
        print(sorted(q.get() for _ in workers))
        for w in workers:
            w.join()
        print([w.exitcode for w in workers])
        """,
    "initializer_and_dataclass.py": """\
        import multiprocessing as mp
        from dataclasses import dataclass

        OFFSET = 100
        log = []


        @dataclass(frozen=True)
        class Job:
            n: int

            def run(self):
                return self.n + OFFSET + _state["base"]


        _state = {"base": 0}


        def setup(base):
            _state["base"] = base


        def run_job(job):
            return job.run()


        jobs = [Job(n) for n in range(4)]
        ctx = mp.get_context("spawn")
        with ctx.Pool(2, initializer=setup, initargs=(1000,)) as pool:
            log.extend(pool.map(run_job, jobs))
        print(log)
        """,
    "executor_with_guard.py": """\
        from concurrent.futures import ProcessPoolExecutor
        from multiprocessing import freeze_support

        print("loaded")


        def cube(x):
            return x ** 3


        if __name__ == "__main__":
            with ProcessPoolExecutor(2) as ex:
                print(list(ex.map(cube, range(4))))
            freeze_support()
            raise SystemExit(3)
        """,
}


def round_trip(tmp_path: Path, name: str, source: str, *args: str) -> None:
    original = write(tmp_path / "original" / name, source)
    expected = run_procrun(original, *args, start_method="spawn", cwd=tmp_path)
    result = fix_source(original.read_text(), str(original))
    assert result.changed and not result.refused, result.refused
    fixed_path = write(tmp_path / "fixed" / name, result.source)
    actual = run([sys.executable, "-c", SPAWN_PYTHON, str(fixed_path), *args], cwd=tmp_path)
    assert actual.stderr.decode() == expected.stderr.decode().replace("original", "fixed")
    assert (actual.returncode, out(actual)) == (expected.returncode, out(expected))
    assert out(actual)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", sorted(ROUND_TRIP_SCRIPTS))
def test_fixed_script_runs_under_plain_python_with_spawn_as_procrun_runs_it(
    tmp_path: Path, name: str
) -> None:
    round_trip(tmp_path, name, textwrap.dedent(ROUND_TRIP_SCRIPTS[name]), "x", "y")


@pytest.mark.timeout(60)
@pytest.mark.parametrize("example", ["hello.py", "shared.py", "workers.py"])
def test_fixed_example_runs_under_plain_python_with_spawn(tmp_path: Path, example: str) -> None:
    round_trip(tmp_path, example, (ROOT / "examples" / example).read_text())


def test_example_whose_worker_reads_a_computed_global_is_refused() -> None:
    source = (ROOT / "examples" / "pool.py").read_text()
    result = fix_source(source, "pool.py")
    assert not result.changed
    assert [r.message.split("(")[0] for r in result.refused] == ["not fixed: global 'WEIGHTS' "]


# -- the checker agrees ----------------------------------------------------------------------

#: Corpus files that ``procrun fix`` refuses on purpose, and why.
REFUSED_CORPUS_FILES = {
    # main() sets VERBOSE with `global`; procrun copies it into the workers, a spawned
    # child of the fixed script would see the module's False: the fix must not pretend.
    "wild_argparse_global_flag.py": "global 'VERBOSE' (changed by 'main'",
    # LIMIT = 5 comes after a child started: fork's children see 3, then 5; a guarded script
    # under spawn would give every child 3 (procrun copies the value of each child's start)
    "multi_pr001_pr006.py": "global 'LIMIT' (set at line 14 in the main process only)",
}


def expected_codes(path: Path) -> set[str]:
    first = path.read_text(encoding="utf-8", errors="replace").splitlines()[0]
    return set(first.partition("# expect:")[2].split())


def fixable_corpus_files() -> list[Path]:
    """Corpus files whose ``# expect:`` header lists PR001 or PR002."""
    files = sorted(CORPUS.glob("*.py")) if CORPUS.is_dir() else []
    return [p for p in files if expected_codes(p) & {"PR001", "PR002"}]


@pytest.mark.parametrize("path", fixable_corpus_files(), ids=lambda p: p.name)
def test_fixed_corpus_file_has_no_pr001_or_pr002(path: Path) -> None:
    engine = pytest.importorskip("procrun.checker.engine")
    result = fix_source(path.read_text(encoding="utf-8"), str(path))
    if path.name in REFUSED_CORPUS_FILES:
        assert not result.changed
        assert REFUSED_CORPUS_FILES[path.name] in result.refused[0].message
        return
    assert not result.refused, [r.message for r in result.refused]
    assert result.changed
    findings = engine.check_source(result.source, str(path))
    left = [f"{f.code} {f.line}: {f.message}" for f in findings if f.code in ("PR001", "PR002")]
    assert not left, result.source
