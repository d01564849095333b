"""The ``check`` and ``fix`` commands: thin typer shells over :mod:`procrun.checker`."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add ``check`` and ``fix`` to the procrun application."""
    app.command(name="check", help="Report code that breaks the multiprocessing guidelines.")(
        check
    )
    app.command(name="fix", help="Rewrite scripts to the guarded, spawn-safe idiom in place.")(
        fix
    )


def check(
    paths: Annotated[
        list[str] | None,
        typer.Argument(metavar="PATH", help="Files or directories to check.", show_default=False),
    ] = None,
) -> None:
    raise typer.Exit(2)


def fix(
    paths: Annotated[
        list[str] | None,
        typer.Argument(metavar="PATH", help="Files or directories to fix.", show_default=False),
    ] = None,
) -> None:
    raise typer.Exit(2)
