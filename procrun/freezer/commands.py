"""The ``freeze`` command: a thin typer shell over :mod:`procrun.freezer.build`."""

from __future__ import annotations

import json
import sys
from enum import Enum
from typing import Annotated

import typer

FREEZE_HELP = """Build a standalone executable of SCRIPT with PyInstaller that cannot fork-bomb.

The executable runs SCRIPT exactly as [bold]procrun SCRIPT[/bold] does: no
[cyan]if __name__ == "__main__":[/cyan] guard and no freeze_support() needed, under spawn,
forkserver and fork (Windows has spawn only). Arguments after [bold]--[/bold] go to
PyInstaller's build step.

PyInstaller builds for the system it runs on: dist/NAME on Linux and macOS,
dist\\NAME.exe on Windows, dist/NAME.app for a --windowed app on macOS.
"""

FREEZE_EPILOG = """[bold]Examples[/bold]

  procrun freeze app.py                      # dist/app, one file
  procrun freeze app.py --onedir --verify    # dist/app/app, checked after the build
  procrun freeze app.py --add-data config.toml:. --start-method spawn
  procrun freeze app.py --spec               # write app.spec to edit, build nothing
  procrun freeze app.py --windowed --codesign-identity "Developer ID Application: Me"
                                             # macOS: dist/app.app, signed
"""


class StartMethod(str, Enum):
    spawn = "spawn"
    forkserver = "forkserver"
    fork = "fork"


def register(app: typer.Typer) -> None:
    """Add ``freeze`` to the procrun application."""
    app.command(
        name="freeze",
        help=FREEZE_HELP,
        epilog=FREEZE_EPILOG,
        short_help="Build a standalone executable that cannot fork-bomb.",
    )(freeze)


def freeze(
    script: Annotated[
        str, typer.Argument(metavar="SCRIPT", help="The script to freeze.", show_default=False)
    ],
    pyinstaller_args: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="PYINSTALLER_ARGS",
            help="Passed to PyInstaller's build (e.g. -- --log-level DEBUG).",
            show_default=False,
        ),
    ] = None,
    onefile: Annotated[
        bool | None,
        typer.Option(
            "--onefile/--onedir",
            help="One self-extracting file, or a folder with the executable inside. "
            "Default: one file, except a macOS --windowed app (a .app is a folder).",
            show_default=False,
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(help="The executable's name. Default: SCRIPT's name.", show_default=False),
    ] = None,
    dist: Annotated[str, typer.Option(help="Where the executable goes.")] = "dist",
    work: Annotated[
        str, typer.Option(help="PyInstaller's work files, spec and log.")
    ] = "build/procrun",
    add_data: Annotated[
        list[str] | None,
        typer.Option(
            "--add-data",
            metavar="SRC:DEST",
            help="Bundle file or folder SRC as DEST (relative to the script's folder at run "
            "time; '.' is the top). On Windows SRC;DEST works too. Repeatable.",
            show_default=False,
        ),
    ] = None,
    hidden_import: Annotated[
        list[str] | None,
        typer.Option(
            "--hidden-import",
            metavar="MODULE",
            help="Bundle MODULE, which the analysis cannot see imported. Repeatable.",
            show_default=False,
        ),
    ] = None,
    icon: Annotated[
        str | None, typer.Option(help="The executable's icon file.", show_default=False)
    ] = None,
    console: Annotated[
        bool,
        typer.Option(
            "--console/--windowed",
            help="Whether the app has a console (--windowed: a GUI app on Windows and macOS).",
        ),
    ] = True,
    clean: Annotated[
        bool, typer.Option(help="Drop PyInstaller's cache and work files first.")
    ] = False,
    start_method: Annotated[
        StartMethod | None,
        typer.Option(
            "--start-method",
            "-s",
            help="The app's default start method; PROCRUN_START_METHOD overrides it at run "
            "time. Default: the script's choice, else Python's.",
            show_default=False,
        ),
    ] = None,
    verify: Annotated[
        bool,
        typer.Option(
            help="After building, run the executable's self-check: a child under every start "
            "method, with a Queue round trip. The build fails if it fails."
        ),
    ] = False,
    target_arch: Annotated[
        str | None,
        typer.Option(
            "--target-arch",
            metavar="ARCH",
            help="macOS: build for x86_64, arm64 or universal2 (default: this machine's).",
            show_default=False,
        ),
    ] = None,
    codesign_identity: Annotated[
        str | None,
        typer.Option(
            "--codesign-identity",
            metavar="IDENTITY",
            help="macOS: sign the app with this identity (default: ad-hoc signing).",
            show_default=False,
        ),
    ] = None,
    entitlements_file: Annotated[
        str | None,
        typer.Option(
            "--osx-entitlements-file",
            metavar="FILE",
            help="macOS: the entitlements to sign the app with.",
            show_default=False,
        ),
    ] = None,
    bundle_identifier: Annotated[
        str | None,
        typer.Option(
            "--osx-bundle-identifier",
            metavar="ID",
            help="macOS, --windowed: the .app's bundle identifier, e.g. com.example.app "
            "(default: NAME).",
            show_default=False,
        ),
    ] = None,
    spec: Annotated[
        bool,
        typer.Option(
            "--spec", help="Only write NAME.spec (editable, using procrun's entry); build nothing."
        ),
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            help="Replace dist/NAME (NAME.exe, NAME.app, or NAME.spec) even if procrun did "
            "not make it."
        ),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the summary as JSON (and no progress).")
    ] = False,
) -> None:
    from procrun.freezer.build import PHASES, FreezeError, FreezeOptions
    from procrun.freezer.build import freeze as build

    options = FreezeOptions(
        script=script,
        onefile=onefile,
        name=name,
        dist=dist,
        work=work,
        add_data=list(add_data or []),
        hidden_imports=list(hidden_import or []),
        icon=icon,
        console=console,
        clean=clean,
        start_method=start_method.value if start_method else None,
        verify=verify,
        spec_only=spec,
        force=force,
        pyinstaller_args=list(pyinstaller_args or []),
        target_arch=target_arch,
        codesign_identity=codesign_identity,
        entitlements_file=entitlements_file,
        bundle_identifier=bundle_identifier,
    )
    from rich.console import Console

    from procrun.checker.streams import tolerant_standard_streams

    tolerant_standard_streams()  # rich prints paths, which the code page may lack
    out = Console(highlight=False)
    err = Console(stderr=True, highlight=False)
    show_progress = not quiet and not as_json
    try:
        if show_progress:
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            with Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=out,
                transient=True,
            ) as progress:
                task = progress.add_task("preparing", total=len(PHASES))

                def phase(name: str) -> None:
                    progress.update(
                        task, description=f"{name} {script}", completed=PHASES.index(name)
                    )

                result = build(options, phase)
        else:
            result = build(options)
    except FreezeError as error:
        err.print(f"procrun freeze: error: {error.message}", markup=False, soft_wrap=True)
        if error.details:
            err.print(error.details, markup=False, style="dim", soft_wrap=True)
        raise typer.Exit(error.status) from None
    except KeyboardInterrupt:
        err.print("procrun freeze: interrupted", markup=False)
        raise typer.Exit(130) from None

    if as_json:
        sys.stdout.write(json.dumps(result.as_json(), indent=2) + "\n")
        return
    if quiet:
        return
    if spec:
        out.print(f"Wrote {result.spec}; build it with: pyinstaller {result.spec}", markup=False)
        return
    checks = ", ".join(check["method"] for check in result.checks)
    out.print(f"[bold green]Built[/] {result.executable}")
    out.print(
        f"  {result.mode}, {result.size / 1e6:.1f} MB, in {result.seconds:.1f} s"
        + (f"; verified under {checks}" if checks else "")
    )
    out.print(f"  log: {result.log}", markup=False)
