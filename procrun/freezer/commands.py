"""The ``freeze`` command: a thin typer shell over :mod:`procrun.freezer`."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add ``freeze`` to the procrun application."""
    app.command(name="freeze", help="Build a standalone executable that cannot fork-bomb.")(
        freeze
    )


def freeze() -> None:
    raise typer.Exit(2)
