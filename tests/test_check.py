"""``procrun check``: the rules on a labelled corpus, the engine's API, the command line."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from conftest import clean_env, without_permission_override, write

from procrun.checker.check_command import explain_rule, run_check
from procrun.checker.engine import Finding, Python2Error, SourceError, check_source
from procrun.checker.rules import RULES
from procrun.cli import run_cli

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
CORPUS = DATA / "check_corpus"
CODES = [rule.code for rule in RULES]
HEADER = re.compile(r"# expect: (none|error|PR\d{3}(?: PR\d{3})*)$")

#: For each rule, corpus files written to look like it but be correct (near misses).
NEAR_MISSES = {
    "PR001": ["ok_thread_unguarded.py", "ok_dummy_pool_unguarded.py",
              "ok_library_pool_function.py", "ok_process_built_at_import.py",
              "wild_subprocess_not_multiprocessing.py", "wild_type_checking_only.py",
              "ok_method_started_in_guard.py", "ok_class_method_without_processes.py"],
    "PR002": ["ok_freeze_first_processing.py", "ok_main_function_freezes_first.py",
              "ok_library_pool_function.py", "ok_guarded_not_frozen.py"],
    "PR003": ["ok_module_function_target.py", "ok_thread_lambda.py",
              "ok_fork_start_method_nested_target.py", "ok_process_never_started.py",
              "ok_unstarted_process_named_like_a_started_one.py",
              "ok_register_module_function.py", "ok_register_lambda_served_in_place.py"],
    "PR004": ["ok_mp_lock_argument.py", "ok_thread_lock_with_threads.py"],
    "PR005": ["ok_get_then_join.py", "ok_join_manager_queue.py",
              "ok_queue_drained_before_join.py", "ok_queue_as_parameter_read_first.py"],
    "PR006": ["ok_constant_global.py", "ok_redirect_stream_in_child.py",
              "ok_start_method_from_parameter.py", "ok_target_sets_global_before_reading.py"],
    "PR007": ["ok_proxy_copy_per_thread.py", "ok_proxy_with_lock.py"],
    "PR008": ["ok_manager_proxy_on_queue.py", "ok_thread_queue_lock.py", "ok_mp_lock_argument.py"],
    "PR009": ["ok_subclass_picklable.py"],
    "PR010": ["ok_bounded_queue_safe.py", "ok_sentinels_to_started_workers.py"],
    "PR011": ["ok_socket_and_path_arguments.py", "ok_file_argument_under_fork.py",
              "ok_bound_method_plain_state.py"],
}  # fmt: skip


def corpus() -> list[tuple[Path, set[str]]]:
    files = []
    for path in sorted(CORPUS.glob("*.py")):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        match = HEADER.match(first)
        assert match, f"{path.name}: first line must be '# expect: PR001 ...' or '# expect: none'"
        words = set(match.group(1).split()) - {"none"}
        files.append((path, words))
    return files


def codes_found(path: Path) -> set[str]:
    try:
        return {f.code for f in check_source(path.read_bytes(), str(path))}
    except SourceError:
        return {"error"}


# -- the corpus ------------------------------------------------------------------------------


def test_corpus_labels_every_rule_with_hits_and_near_misses() -> None:
    files = corpus()
    assert len(files) >= 40
    by_code = Counter(code for _, codes in files for code in codes)
    names = {path.name for path, _ in files}
    for code in CODES:
        assert by_code[code] >= 2, f"{code}: fewer than 2 true-positive files"
        assert NEAR_MISSES[code], code
        for name in NEAR_MISSES[code]:
            assert name in names and dict((p.name, c) for p, c in files)[name] == set()
    assert sum(len(codes) > 1 for _, codes in files) >= 3, "several multiple-code files"
    sources = "\n".join(path.read_text(encoding="utf-8") for path, _ in files)
    assert "import processing" in sources and "freezeSupport()" in sources
    assert " as " in sources and "from concurrent.futures import" in sources
    assert by_code["error"] >= 1, "a Python 2 file"


def corpus_scores() -> tuple[list[tuple[str, int, int, int, int]], list[str]]:
    """Per code (the rules, then "error" for files that do not parse): (code, files that
    must not be reported for it, true positives, false positives, false negatives), with
    "overall" last; and one line per file whose findings differ from its label."""
    true_pos: Counter[str] = Counter()
    false_pos: Counter[str] = Counter()
    false_neg: Counter[str] = Counter()
    wrong = []
    for path, expected in corpus():
        found = codes_found(path)
        for code in found | expected:
            if code in found and code in expected:
                true_pos[code] += 1
            elif code in found:
                false_pos[code] += 1
            else:
                false_neg[code] += 1
        if found != expected:
            wrong.append(f"{path.name}: expected {sorted(expected)}, found {sorted(found)}")
    rows = [
        (code, len(NEAR_MISSES.get(code, ())), true_pos[code], false_pos[code], false_neg[code])
        for code in [*CODES, "error"]
    ]
    near = sum(len(names) for names in NEAR_MISSES.values())
    rows.append(("overall", near, *(sum(c.values()) for c in (true_pos, false_pos, false_neg))))
    return rows, wrong


def ratio(hits: int, total: int) -> float:
    return hits / total if total else 1.0


def corpus_table() -> str:
    """The README's table of the corpus: precision and recall per rule."""
    rows, _ = corpus_scores()
    lines = [
        "| rule | true positives | false positives | false negatives | near misses "
        "| precision | recall |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for code, near, tp, fp, fn in rows:
        name = "E999 (syntax)" if code == "error" else f"`{code}`" if code != "overall" else code
        lines.append(
            f"| {name} | {tp} | {fp} | {fn} | {near} | {ratio(tp, tp + fp):.2f} "
            f"| {ratio(tp, tp + fn):.2f} |"
        )
    return "\n".join(lines)


def test_precision_and_recall_on_the_corpus_are_at_least_095() -> None:
    rows, wrong = corpus_scores()
    table = "\n".join([corpus_table(), *wrong])
    print(table)  # shown with pytest -rA
    for _, _, tp, fp, fn in rows:
        assert ratio(tp, tp + fp) >= 0.95 and ratio(tp, tp + fn) >= 0.95, table


def test_readme_shows_the_corpus_table_as_it_is() -> None:
    assert corpus_table() in readme_check_section()


def test_every_rule_quotes_its_guideline_word_for_word() -> None:
    reference = " ".join((DATA / "programming-guidelines.txt").read_text().split())
    for rule in RULES:
        assert " ".join(rule.guideline.split()) in reference, rule.code
        assert rule.bad != rule.good


def test_bad_example_of_each_rule_is_reported_and_good_one_is_not() -> None:
    for rule in RULES:  # as in a frozen program, where PR002 applies
        assert rule.code in {f.code for f in check_source(rule.bad, frozen=True)}, rule.code
        assert check_source(rule.good, frozen=True) == [], rule.code


# -- the engine's API ------------------------------------------------------------------------


def test_findings_carry_path_code_and_one_based_positions() -> None:
    source = "import multiprocessing as mp\n\nmp.Pool(2)\n"
    findings = check_source(source, "job.py")
    assert findings == [Finding("job.py", 3, 1, "PR001", findings[0].message)]


def test_columns_count_characters_not_bytes() -> None:
    source = 'import multiprocessing\nname = "é"; multiprocessing.Pool()\n'
    (finding,) = check_source(source, select={"PR001"})
    assert finding.col == len('name = "é"; ') + 1


def test_files_without_a_process_api_have_no_findings() -> None:
    assert check_source("import threading\nthreading.Thread(target=print).start()\n") == []


def test_syntax_errors_raise_a_one_line_source_error() -> None:
    with pytest.raises(SourceError) as caught:
        check_source("import multiprocessing\ndef f(:\n    pass\n")
    assert "\n" not in str(caught.value) and caught.value.line == 2


def test_a_file_that_names_no_process_api_is_not_even_parsed() -> None:
    # The byte search decides before the parser runs: most files cannot start a process.
    assert check_source("def f(:\n    pass\n") == []
    assert check_source(b"\x00\x01binary, no process API\n") == []


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="3.12 parses such f-strings")
def test_a_3_12_f_string_is_said_to_need_3_12() -> None:
    with pytest.raises(SourceError, match=r"on Python 3\.1[01]; .*Python 3\.12 syntax"):
        check_source('import multiprocessing\nprint(f"{"a" if 1 else "b"}")\n')


def test_python_2_is_reported_as_python_2() -> None:
    with pytest.raises(Python2Error, match=r"Python 2.*print statement"):
        check_source(b"import processing\nprint 'hello'\n")
    with pytest.raises(Python2Error, match="except E, e"):
        check_source("import processing\ntry:\n    pass\nexcept ValueError, e:\n    pass\n")


def test_binary_and_undeclared_non_utf8_input_raise_source_errors() -> None:
    with pytest.raises(SourceError, match="binary"):
        check_source(b"\x00\x01\x02import multiprocessing\n")
    with pytest.raises(SourceError, match="not UTF-8 and no encoding declaration"):
        check_source(b"import multiprocessing\nname = '\xe9t\xe9'\n")
    declared = b"# -*- coding: latin-1 -*-\nimport multiprocessing\nname = '\xe9t\xe9'\n"
    assert check_source(declared) == []


def test_suppression_comments_silence_the_named_codes_only() -> None:
    base = "import multiprocessing as mp\n\n\ndef main():\n    mp.Process(target=lambda: 1)"
    assert [f.code for f in check_source(base + "\n")] == ["PR003"]
    assert check_source(base + "  # procrun: ignore[PR003]\n") == []
    assert check_source(base + "  # procrun: ignore[PR001, PR003]\n") == []
    assert check_source(base + "  # procrun: ignore\n") == []
    assert [f.code for f in check_source(base + "  # procrun: ignore[PR004]\n")] == ["PR003"]


@pytest.mark.parametrize(
    ("comment", "kept"),
    [
        ("# noqa", []),
        ("# NOQA", []),
        ("# noqa: PR003", []),
        ("# noqa:PR001,PR003", []),
        ("# noqa: pr003 because the child never runs it", []),
        ("# noqa: E501", ["PR003"]),  # another linter's code silences nothing of ours
        ("# Procrun: Ignore[pr003]", []),
        ("# PROCRUN: IGNORE", []),
        ("# procrun: ignore[PR001]", ["PR003"]),
    ],
)
def test_ruff_noqa_and_procrun_comments_in_any_case(comment: str, kept: list[str]) -> None:
    base = "import multiprocessing as mp\n\n\ndef main():\n    mp.Process(target=lambda: 1)"
    assert [f.code for f in check_source(f"{base}  {comment}\n")] == kept


def test_select_keeps_only_the_given_codes() -> None:
    source = "import multiprocessing as mp\nmp.Pool(2)\nmp.Process().start()\n"
    assert [f.code for f in check_source(source, select={"PR001"})] == ["PR001", "PR001"]
    assert check_source(source, select={"PR003"}) == []


GUARDED = """
import multiprocessing as mp


def work(x):
    return x


if __name__ == "__main__":
    with mp.Pool(2) as pool:
        print(pool.map(work, range(3)))
"""


def test_pr002_only_where_the_program_is_frozen() -> None:
    # freeze_support() does something only in a frozen program: a guarded script that is
    # not frozen is no finding; the file's own signs (sys.frozen, sys._MEIPASS, a
    # freeze_support() call elsewhere) or the project's (frozen=True) make it one.
    assert check_source(GUARDED) == []
    assert [f.code for f in check_source(GUARDED, frozen=True)] == ["PR002"]
    for sign in (
        "import sys\nBASE = getattr(sys, 'frozen', False)\n",
        "import sys\nBASE = sys._MEIPASS if hasattr(sys, '_MEIPASS') else '.'\n",
        "# nuitka-project: --onefile\n",
    ):
        assert [f.code for f in check_source(sign + GUARDED)] == ["PR002"], sign
        assert check_source(sign + GUARDED, frozen=False) == [], sign
    late = GUARDED.replace("    with mp.Pool", "    mp.freeze_support()\n    with mp.Pool")
    late = late.replace('if __name__ == "__main__":\n', 'if __name__ == "__main__":\n    print()\n')
    assert [f.code for f in check_source(late)] == ["PR002"]


def test_pr002_never_on_the_statement_pr001_reports() -> None:
    source = "import sys, multiprocessing as mp\nif sys.frozen: pass\nmp.Pool(2)\n"
    assert [(f.code, f.line) for f in check_source(source, frozen=True)] == [("PR001", 3)]


# -- the command line ------------------------------------------------------------------------


def checked(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = run_cli(["check", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    write(tmp_path / "good.py", "import multiprocessing\n\nprint(multiprocessing.cpu_count())\n")
    write(
        tmp_path / "bad.py",
        """
        import multiprocessing


        def work(x):
            return x


        with multiprocessing.Pool(2) as pool:
            print(pool.map(work, range(3)))
        """,
    )
    return tmp_path


def test_exit_status_is_0_when_clean_and_1_with_findings(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert checked(capsys, "good.py")[0] == 0
    status, out, _ = checked(capsys, "bad.py")
    assert status == 1
    assert out.splitlines()[0].startswith("bad.py:8:6 PR001 `multiprocessing.Pool(...)` starts")
    assert out.splitlines()[1] == "    with multiprocessing.Pool(2) as pool:"
    assert out.splitlines()[2] == "         ^"
    assert "\x1b[" not in out


def test_directories_are_walked_and_default_to_the_current_one(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = checked(capsys)
    assert status == 1 and "bad.py:8:6 PR001" in out and "good.py" not in out
    assert out.endswith("Found 1 finding in 1 file.\n")


def test_virtualenvs_git_and_build_output_are_skipped(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = (project / "bad.py").read_text()
    (project / "bad.py").unlink()
    for place in (".venv", ".git", "build", "dist", "__pycache__", "node_modules", ".tox"):
        write(project / place / "lib.py", bad)
    write(project / "env" / "pyvenv.cfg", "home = /usr/bin\n")
    write(project / "env" / "lib" / "site.py", bad)
    assert checked(capsys, ".") == (0, "All checks passed!\n", "")


def test_no_findings_prints_all_checks_passed(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert checked(capsys, "good.py") == (0, "All checks passed!\n", "")


def test_select_and_ignore_options(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = checked(capsys, "bad.py", "--select", "PR002")
    assert status == 1 and "PR002" in out and "PR001" not in out
    assert checked(capsys, "bad.py", "--ignore", "PR001,PR002")[0] == 0
    assert checked(capsys, "bad.py", "--select", "PR001", "--select", "PR002")[0] == 1


def test_unknown_codes_are_usage_errors_and_a_missing_path_is_a_finding(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = checked(capsys, "bad.py", "--select", "PR999")
    assert status == 2 and err.startswith("procrun: error: --select: unknown rule code 'PR999'")
    status, out, err = checked(capsys, "missing.py", "bad.py")
    assert status == 1 and err == ""
    assert "missing.py:1:1 E902 No such file or directory\n" in out
    assert "bad.py:8:6 PR001" in out


def test_json_format(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = checked(capsys, "bad.py", "--format", "json")
    assert status == 1
    items = json.loads(out)
    assert [(i["code"], i["line"], i["column"], i["path"]) for i in items] == [
        ("PR001", 8, 6, "bad.py"),
    ]
    assert items[0]["fixable"] is True and items[0]["name"] == "process-started-at-import"
    assert json.loads(checked(capsys, "good.py", "--format", "json")[1]) == []


def test_sarif_format(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = checked(capsys, "bad.py", "--format", "sarif")
    assert status == 1
    log = json.loads(out)
    assert log["version"] == "2.1.0" and "sarif-2.1.0" in log["$schema"]
    (run,) = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [*CODES, "E902", "E999"]
    assert all(r["shortDescription"]["text"] and r["help"]["text"] for r in rules)
    result = run["results"][0]
    assert result["ruleId"] == "PR001" and rules[result["ruleIndex"]]["id"] == "PR001"
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "bad.py"
    assert location["region"] == {"startLine": 8, "startColumn": 6}


def test_github_format(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = checked(capsys, "bad.py", "--format", "github")
    assert status == 1
    first = out.splitlines()[0]
    assert first.startswith("::error file=bad.py,line=8,col=6,title=PR001::`multiprocessing.Pool")
    assert len(out.splitlines()) == 1


def test_bad_format_is_a_usage_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert checked(capsys, "bad.py", "--format", "xml")[0] == 2


def test_explain_prints_rationale_guideline_and_examples(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, _ = checked(capsys, "--explain", "PR003")
    assert status == 0
    assert out.startswith("PR003 (unpicklable-target)")
    assert "Ensure that all arguments to Process.__init__() are picklable." in out
    assert "Bad:" in out and "Good:" in out and "lambda" in out
    assert checked(capsys, "--explain", "pr001")[0] == 0
    status, _, err = checked(capsys, "--explain", "PR042")
    assert status == 2 and "unknown rule code" in err
    for rule in RULES:
        assert rule.guideline.split()[0] in explain_rule(rule.code)


def test_pyproject_select_ignore_and_exclude(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(project / "legacy" / "old.py", (project / "bad.py").read_text())
    write(
        project / "pyproject.toml",
        """
        [project]
        name = "demo"

        [tool.procrun]
        ignore = ["PR002"]
        exclude = ["legacy"]
        """,
    )
    status, out, _ = checked(capsys, ".")
    assert status == 1 and "PR001" in out and "PR002" not in out and "legacy" not in out
    assert checked(capsys, ".", "--ignore", "PR001")[0] == 0
    (project / "sub").mkdir()
    os.chdir(project / "sub")
    status, out, _ = checked(capsys, "../bad.py")
    assert status == 1 and "PR002" not in out


def test_broken_pyproject_is_a_usage_error(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(project / "pyproject.toml", "[tool.procrun]\nselect = 'PR001'\n")
    status, _, err = checked(capsys, "bad.py")
    assert status == 2 and "select must be a list of strings" in err
    write(project / "pyproject.toml", "[tool.procrun]\nignore = ['PR0']\n")
    status, _, err = checked(capsys, "bad.py")
    assert status == 2 and "unknown rule code 'PR0'" in err
    status, _, err = checked(capsys, "bad.py", "--config", "nowhere.toml")
    assert status == 2 and err == "procrun: error: --config: no such file: nowhere.toml\n"


def test_bad_input_is_one_line_each_and_the_rest_is_still_checked(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Each is a finding, as in ruff: E902 where the file cannot be read, E999 where it does
    # not parse (at the place the parser stopped); exit 1, nothing on stderr.
    (project / "binary.py").write_bytes(b"\x7fELF\x00\x00\x01import multiprocessing")
    (project / "latin.py").write_bytes(b"import multiprocessing\nname = '\xe9t\xe9'\n")
    write(project / "broken.py", "import multiprocessing\ndef f(:\n    pass\n")
    write(project / "old.py", "import processing\nprint 'hello'\n")
    (project / "dangling.py").symlink_to(project / "nowhere.py")
    (project / "package.py").mkdir()  # a directory with a .py name is walked, not read
    status, out, err = checked(capsys, ".")
    assert (status, err) == (1, "")
    assert "bad.py:8:6 PR001" in out
    lines = sorted(line for line in out.splitlines() if " E9" in line)
    assert lines == [
        "binary.py:1:1 E902 binary file (contains NUL bytes), not Python source",
        "broken.py:2:7 E999 syntax error: invalid syntax",
        "dangling.py:1:1 E902 No such file or directory",
        "latin.py:1:1 E902 not UTF-8 and no encoding declaration (PEP 263): add "
        "'# -*- coding: ... -*-'",
        "old.py:2:1 E999 Python 2 source; procrun checks Python 3 code "
        "(port it first, e.g. with 2to3) (print statement)",
    ]
    for output_format, needle in (
        ("json", '"code": "E999"'),
        ("sarif", '"ruleId": "E902"'),
        ("github", "title=E999::syntax error"),
    ):
        status, out, err = checked(capsys, ".", "--format", output_format)
        assert (status, err) == (1, "") and needle in out, output_format


def procrun_check(
    *args: str, cwd: Path, prefix: list[str] | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    command = [*(prefix or []), sys.executable, "-m", "procrun", "check", *args]
    return subprocess.run(
        command, cwd=cwd, env=clean_env(env), capture_output=True, text=True, timeout=60
    )


def test_unreadable_file_is_a_finding_and_exit_is_1(project: Path) -> None:
    prefix = without_permission_override()
    secret = project / "secret.py"
    secret.write_text("import os\n")
    secret.chmod(0)
    result = procrun_check(".", cwd=project, prefix=prefix, env={"PYTHONPATH": str(ROOT)})
    assert result.returncode == 1, result.stderr
    assert "secret.py:1:1 E902 Permission denied\n" in result.stdout
    assert "bad.py:8:6 PR001" in result.stdout


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_fifos_and_link_loops_in_a_tree_are_skipped_never_read(project: Path) -> None:
    # Opening a FIFO waits for a writer: the walk must not even try. Named on the command
    # line, it is refused (E902) without being opened.
    os.mkfifo(project / "pipe.py")
    (project / "loop.py").symlink_to(project / "loop.py")
    result = procrun_check(".", cwd=project)
    assert result.returncode == 1, result.stderr
    assert "pipe.py" not in result.stdout and "loop.py" not in result.stdout
    assert "bad.py:8:6 PR001" in result.stdout
    result = procrun_check("pipe.py", cwd=project)
    assert result.returncode == 1
    assert result.stdout.startswith("pipe.py:1:1 E902 not a regular file")


def test_dash_reads_standard_input_named_by_stdin_filename(project: Path) -> None:
    source = "import multiprocessing as mp\nmp.Pool(2)\n"
    for args, name in (("-",), "-"), (("--stdin-filename", "app/job.py"), "app/job.py"):
        result = subprocess.run(
            [sys.executable, "-m", "procrun", "check", *args, "--format", "github"],
            input=source, cwd=project, env=clean_env(), capture_output=True, text=True,
            timeout=60,
        )  # fmt: skip
        assert result.returncode == 1, result.stderr
        assert result.stdout.startswith(f"::error file={name},line=2,col=1,title=PR001::")
    result = subprocess.run(
        [sys.executable, "-m", "procrun", "check", "-", "bad.py"],
        input="import os\n", cwd=project, env=clean_env(), capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert result.returncode == 1 and "bad.py:8:6 PR001" in result.stdout
    assert "-:" not in result.stdout


def test_a_second_run_reads_only_what_changed(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from procrun.checker import runner

    checked_now: list[str] = []
    real = runner.check_source

    def counting(raw: bytes, path: str, *args: object, **kwargs: object) -> object:
        checked_now.append(Path(path).name)
        return real(raw, path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(runner, "check_source", counting)

    def run(*args: str) -> tuple[list[str], str]:
        checked_now.clear()
        _, out, _ = checked(capsys, ".", *args)
        return sorted(checked_now), out

    first = run()
    assert first[0] == ["bad.py", "good.py"] and "bad.py:8:6 PR001" in first[1]
    assert (project / ".procrun_cache" / ".gitignore").read_text().endswith("*\n")
    assert run() == ([], first[1])  # the same report, nothing read
    bad = project / "bad.py"
    os.utime(bad, ns=(1, 1))  # touched, not changed: the hash says so
    assert run() == ([], first[1])
    bad.write_text(bad.read_text().replace("Pool(2)", "Pool(3)"))
    assert run()[0] == ["bad.py"]
    assert run("--ignore", "PR001")[0] == ["bad.py", "good.py"]  # other settings
    assert run("--no-cache")[0] == ["bad.py", "good.py"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["a.py", "src"], (["a.py", "src"], {})),
        (["--format", "json", "-"], (["-"], {"output_format": "json"})),
        (["-fgithub", "--select=PR001", "--select", "PR003"],
         ([], {"output_format": "github", "select": ["PR001", "PR003"]})),
        (["-j4", "--no-cache", "--no-color", "--", "-odd.py"],
         (["-odd.py"], {"jobs": 4, "cache": False, "color": False})),
        (["--config", "p.toml", "--stdin-filename=x.py", "--explain", "PR003"],
         ([], {"config_path": "p.toml", "stdin_filename": "x.py", "explain": "PR003"})),
        (["--help"], None),
        (["--format", "xml"], None),
        (["--jobs", "many"], None),
        (["--select"], None),
        (["--no-cache=1"], None),
        (["--frobnicate"], None),
    ],
)  # fmt: skip
def test_check_options_parsed_without_typer_as_typer_would(
    args: list[str], expected: tuple[list[str], dict[str, object]] | None
) -> None:
    # None: typer takes over (help, and its own usage errors for what is not understood).
    from procrun.checker.quick_cli import parse

    assert parse(args) == expected


def test_procrun_check_does_not_import_typer(project: Path) -> None:
    code = (
        "import sys; from procrun.entry import main; status = main(['check', 'bad.py']); "
        "print(status, 'typer' in sys.modules, 'rich' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=project, capture_output=True, text=True, timeout=60,
        env=clean_env(),
    )  # fmt: skip
    assert result.stdout.splitlines()[-1] == "1 False False", result.stderr
    result = procrun_check("--frobnicate", cwd=project)
    assert result.returncode == 2 and "No such option" in result.stderr


def test_no_cache_leaves_no_cache_directory(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert checked(capsys, ".", "--no-cache")[0] == 1
    assert not (project / ".procrun_cache").exists()


def test_no_python_files_or_no_rules_is_said_not_all_checks_passed(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "empty").mkdir()
    status, out, err = checked(capsys, "empty")
    assert (status, out) == (0, "")
    assert err == "procrun: warning: no Python files found under the given paths\n"
    status, out, err = checked(capsys, "bad.py", "--ignore", "ALL")
    assert (status, out) == (0, "")
    assert err.startswith("procrun: warning: every rule is deselected")


def test_command_output_is_plain_when_piped_and_with_no_color(project: Path) -> None:
    for env in ({}, {"NO_COLOR": "1"}):
        result = procrun_check("bad.py", cwd=project, env=env)
        assert result.returncode == 1
        assert result.stdout.startswith("bad.py:8:6 PR001 ") and "\x1b[" not in result.stdout


def test_rich_output_when_color_is_forced(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = run_check(["bad.py"], color=True)
    out = capsys.readouterr().out
    assert status == 1 and "PR001" in out and "Found 1 finding" in out


def test_parallel_and_serial_runs_agree(capsys: pytest.CaptureFixture[str]) -> None:
    from procrun.checker.runner import check_paths

    serial = check_paths([str(CORPUS)], jobs=1)
    parallel = check_paths([str(CORPUS)], jobs=2)
    assert serial.findings == parallel.findings and serial.errors == parallel.errors
    assert serial.exit_status == 1 and not serial.errors
    assert "E999" in {f.code for f in serial.findings}  # the Python 2 file


def test_pre_commit_hook_runs_procrun_check() -> None:
    text = (ROOT / ".pre-commit-hooks.yaml").read_text()
    assert "- id: procrun-check" in text
    assert "entry: procrun check" in text
    assert "language: python" in text and "types: [python]" in text


def test_checker_is_not_imported_by_the_launcher_side() -> None:
    code = (
        "import sys, procrun.launcher, procrun.child, processing; "
        "print([m for m in sys.modules if m.startswith('procrun.checker') or m == 'rich'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=clean_env()
    )
    assert result.stdout.strip() == "[]", result.stderr


def readme_check_section() -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index("## procrun check")
    return text[start : text.index("\n## ", start + 1)]


def test_readme_check_example_output_is_what_procrun_prints() -> None:
    section = readme_check_section()
    block = section.split("```console\n", 1)[1].split("```", 1)[0]
    command, _, expected = block.partition("\n")
    assert command == "$ procrun check examples/hello.py"
    result = procrun_check("examples/hello.py", cwd=ROOT)
    assert result.returncode == 1
    assert result.stdout == expected


def test_pr002_where_the_project_freezes_or_the_user_asks(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "bad.py").unlink()
    (project / ".git").mkdir()  # the walk for a freezing configuration stops here
    write(project / "app" / "main.py", GUARDED)
    assert checked(capsys, ".")[0] == 0
    assert "PR002" in checked(capsys, ".", "--select", "PR002")[1]
    for name, text in (
        ("app/main.spec", "# PyInstaller spec\n"),
        ("setup.py", "from distutils.core import setup\nimport py2exe\n"),
        ("pyproject.toml", '[tool.cxfreeze]\nexecutables = ["app/main.py"]\n'),
    ):
        write(project / name, text)
        status, out, _ = checked(capsys, ".", "--format", "github")
        assert status == 1 and "file=app/main.py,line=8,col=1,title=PR002" in out, name
        (project / name).unlink()
    write(project / "pyproject.toml", "[tool.procrun]\nfrozen = true\n")
    assert "PR002" in checked(capsys, ".")[1]
    write(project / "pyproject.toml", "[tool.procrun]\nfrozen = false\n")
    write(project / "app" / "main.spec", "# PyInstaller spec\n")
    assert checked(capsys, ".")[0] == 0
    write(project / "pyproject.toml", "[tool.procrun]\nfrozen = 'yes'\n")
    status, _, err = checked(capsys, ".")
    assert status == 2 and "frozen must be true or false" in err


def test_each_file_follows_the_nearest_pyproject_above_it(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # As ruff: a repository of projects is checked with each one's own [tool.procrun]; its
    # exclude globs are relative to its own directory; --select/--ignore apply on top.
    bad = (project / "bad.py").read_text()
    write(project / "pyproject.toml", '[tool.procrun]\nignore = ["PR002"]\n')
    service = project / "service"
    write(service / "pyproject.toml", '[tool.procrun]\nselect = ["PR002"]\nexclude = ["gen"]\n')
    write(service / "job.py", bad)
    write(service / "gen" / "made.py", bad)
    write(service / "other" / "pyproject.toml", "[project]\nname = 'no procrun table'\n")
    write(service / "other" / "deep.py", bad)
    status, out, _ = checked(capsys, ".", "--format", "github")
    annotations = [
        re.match(r"::error file=([^,]+),.*,title=(\w+)::", line) for line in out.splitlines()
    ]
    found = sorted(f"{match[2]} {match[1]}" for match in annotations if match)
    assert status == 1
    assert found == ["PR001 bad.py", "PR002 service/job.py", "PR002 service/other/deep.py"]
    # From inside the subproject, and for a file named explicitly, the same governs.
    status, out, _ = checked(capsys, "service/job.py", "--format", "github")
    assert "title=PR002" in out and "title=PR001" not in out
    status, out, _ = checked(capsys, ".", "--format", "github", "--ignore", "PR002")
    assert "service/job.py" not in out and "bad.py" in out


def test_readme_check_configuration_example_is_valid(tmp_path: Path) -> None:
    from procrun.checker.config import load

    section = readme_check_section()
    toml = section.split("```toml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "pyproject.toml").write_text(toml)
    config = load(str(tmp_path / "pyproject.toml"))
    assert config.codes == {"PR001", "PR002", "PR003", "PR005"}
    assert config.exclude == ("examples", "legacy/*.py")
    for code in re.findall(r"^\| (PR\d{3}) \|", section, re.MULTILINE):
        assert code in CODES
    assert len(re.findall(r"^\| PR\d{3} \|", section, re.MULTILINE)) == len(CODES)
