"""``procrun check``: options in, exit status out; the printing around :mod:`runner`."""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Sequence
from typing import TextIO

from procrun.checker import render
from procrun.checker.cache import ResultCache
from procrun.checker.config import ConfigError, Settings
from procrun.checker.rules import BY_CODE, RULES, Rule
from procrun.checker.runner import FILE_PROBLEMS, Report, check_paths
from procrun.checker.streams import tolerant

FORMATS = ("text", "json", "sarif", "github")


def run_check(
    paths: Sequence[str],
    output_format: str = "text",
    select: Sequence[str] | None = None,
    ignore: Sequence[str] | None = None,
    explain: str | None = None,
    config_path: str | None = None,
    color: bool | None = None,
    jobs: int | None = None,
    stdin_filename: str | None = None,
    cache: bool = True,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run ``procrun check``; the exit status (0 clean, 1 findings, 2 usage or input error).

    ``color`` None means: styled when ``stdout`` is a terminal and ``NO_COLOR`` is unset.
    """
    out = stdout if stdout is not None else tolerant(sys.stdout)
    err = stderr if stderr is not None else tolerant(sys.stderr)
    try:
        if explain is not None:
            out.write(explain_rule(explain))
            return 0
        if output_format not in FORMATS:
            raise ConfigError(
                f"--format: expected one of {', '.join(FORMATS)}, not {output_format!r}"
            )
        if jobs is not None and jobs < 1:
            raise ConfigError("--jobs: expected a number of processes, 1 or more")
        settings = _settings(config_path, select, ignore)
        if stdin_filename is not None and "-" not in paths:
            paths = [*paths, "-"]  # as ruff: naming the input means reading it
        report = check_paths(
            paths or ["."],
            jobs=jobs,
            stdin_filename=stdin_filename,
            settings=settings,
            cache=ResultCache() if cache else None,
        )
        # What governs the current directory decides whether any rule was selected at all.
        selected = settings.for_directory(".").codes
    except ConfigError as error:
        err.write(f"procrun: error: {error}\n")
        return 2
    for path, message in report.errors:
        err.write(f"{path}: error: {message}\n")
    if not report.checked:
        err.write("procrun: warning: no Python files found under the given paths\n")
    elif not selected:
        err.write(
            "procrun: warning: every rule is deselected (by --select/--ignore or "
            "[tool.procrun]): only files that cannot be read or parsed are reported\n"
        )
    try:
        _print(report, output_format, color, out, bool(report.checked and selected))
        out.flush()
    except BrokenPipeError:
        # The reader went away (``procrun check | head``): as for any Unix filter, that is
        # no error of ours; keep Python from complaining again when it flushes at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, out.fileno())
    return report.exit_status


def _settings(
    path: str | None, select: Sequence[str] | None, ignore: Sequence[str] | None
) -> Settings:
    if path is not None and not os.path.isfile(path):
        raise ConfigError(f"--config: no such file: {path}")
    return Settings(path, select, ignore)


def _print(
    report: Report, output_format: str, color: bool | None, out: TextIO, something_checked: bool
) -> None:
    findings = report.findings
    if output_format == "json":
        out.write(render.as_json(findings, rule_texts()))
    elif output_format == "sarif":
        from procrun import __version__

        out.write(render.sarif(findings, rule_texts(), __version__))
    elif output_format == "github":
        out.write(render.github(findings))
    elif _use_color(color, out):
        out.flush()
        render.print_rich(findings, report.source_line)
    else:
        out.write(render.text(findings, report.source_line))
    if output_format == "text" and not findings and not report.errors and something_checked:
        out.write("All checks passed!\n")


def _use_color(color: bool | None, out: TextIO) -> bool:
    if color is not None:
        return color
    if os.environ.get("NO_COLOR"):
        return False
    return out is sys.stdout and out.isatty()


def rule_texts() -> list[render.RuleText]:
    """The rules, then the two codes for files that cannot be checked (E902, E999)."""
    texts = [
        render.RuleText(
            r.code, r.name, r.summary, f"{r.rationale}\n\nGuideline: {r.guideline}", r.fixable
        )
        for r in RULES
    ]
    for code, (name, summary) in FILE_PROBLEMS.items():
        texts.append(render.RuleText(code, name, summary, summary))
    return texts


def explain_rule(code: str) -> str:
    """The ``--explain`` text: summary, guideline, rationale, a bad and a good example."""
    rule = BY_CODE.get(code.strip().upper())
    if rule is None:
        known = ", ".join(r.code for r in RULES)
        raise ConfigError(f"--explain: unknown rule code {code!r} (known: {known})")
    return _explain(rule)


def _explain(rule: Rule) -> str:
    fix = "fixable with `procrun fix`" if rule.fixable else "not fixable automatically"
    wrap = textwrap.TextWrapper(width=88, initial_indent="  ", subsequent_indent="  ")
    parts = [
        f"{rule.code} ({rule.name}), {fix}",
        "",
        rule.summary,
        "",
        "The guideline:",
        wrap.fill(f'"{rule.guideline}"'),
        "",
        "Why:",
        wrap.fill(rule.rationale),
        "",
        "Bad:",
        textwrap.indent(rule.bad, "    "),
        "Good:",
        textwrap.indent(rule.good, "    "),
    ]
    return "\n".join(parts)
