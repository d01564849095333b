"""The ``check`` and ``fix`` commands: thin typer shells over :mod:`procrun.checker`."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add ``check`` and ``fix`` to the procrun application."""
    app.command(name="check", help="Report code that breaks the multiprocessing guidelines.")(check)
    app.command(name="fix", help="Rewrite scripts to the guarded, spawn-safe idiom in place.")(fix)


class OutputFormat(str, Enum):
    text = "text"
    json = "json"
    sarif = "sarif"
    github = "github"


def check(
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="PATH",
            help="Files or directories to check (default: the current directory); "
            "- reads standard input.",
            show_default=False,
        ),
    ] = None,
    output_format: Annotated[
        OutputFormat,
        typer.Option("--format", "-f", help="Output: text, json, sarif or github annotations."),
    ] = OutputFormat.text,
    select: Annotated[
        list[str] | None,
        typer.Option(
            "--select",
            metavar="CODES",
            help="Report only these rules (comma-separated, e.g. PR001,PR003); "
            "overrides \\[tool.procrun] select.",
            show_default=False,
        ),
    ] = None,
    ignore: Annotated[
        list[str] | None,
        typer.Option(
            "--ignore",
            metavar="CODES",
            help="Do not report these rules (comma-separated).",
            show_default=False,
        ),
    ] = None,
    explain: Annotated[
        str | None,
        typer.Option(
            "--explain",
            metavar="CODE",
            help="Print a rule's rationale, guideline and examples, and exit.",
            show_default=False,
        ),
    ] = None,
    config: Annotated[
        str | None,
        typer.Option(
            "--config",
            metavar="PYPROJECT",
            help="Read \\[tool.procrun] from this file (default: the nearest pyproject.toml "
            "that has one).",
            show_default=False,
        ),
    ] = None,
    no_color: Annotated[
        bool, typer.Option("--no-color", help="Plain text even on a terminal (so does NO_COLOR).")
    ] = False,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            metavar="N",
            help="Check files in N processes (default: as many as pay off).",
            show_default=False,
        ),
    ] = None,
    stdin_filename: Annotated[
        str | None,
        typer.Option(
            "--stdin-filename",
            metavar="PATH",
            help="The name to report for the source read from standard input (-).",
            show_default=False,
        ),
    ] = None,
    no_cache: Annotated[
        bool,
        typer.Option(
            "--no-cache",
            help="Check every file again; neither read nor write .procrun_cache.",
        ),
    ] = False,
) -> None:
    from procrun.checker.check_command import run_check

    code = run_check(
        list(paths or []),
        output_format.value,
        select,
        ignore,
        explain,
        config,
        False if no_color else None,
        jobs,
        stdin_filename,
        cache=not no_cache,
    )
    raise typer.Exit(code)


def fix(
    paths: Annotated[
        list[str] | None,
        typer.Argument(metavar="PATH", help="Files or directories to fix.", show_default=False),
    ] = None,
    diff: Annotated[
        bool, typer.Option("--diff", help="Print a unified diff of the fixes; change nothing.")
    ] = False,
    check: Annotated[
        bool, typer.Option("--check", help="Change nothing; exit 1 if a file would change.")
    ] = False,
) -> None:
    from procrun.checker.fix_files import run_fix

    raise typer.Exit(run_fix(list(paths or []), diff=diff, check=check))
