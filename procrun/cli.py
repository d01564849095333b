"""The heavy half of the command line (typer + rich): help and the commands.

``procrun SCRIPT`` never comes here (see :mod:`procrun.entry`); this module is imported for
``--help`` and for commands, so it may be as heavy as it likes.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

import typer
from typer.core import TyperArgument

from procrun import __version__
from procrun.checker.commands import register as register_checker
from procrun.freezer.commands import register as register_freezer

HELP = """Run Python multiprocessing programs safely under every start method.

[bold]procrun SCRIPT [ARGS]...[/bold] runs SCRIPT as [bold]python SCRIPT[/bold] would, but
spawn-safe: no [cyan]if __name__ == "__main__":[/cyan] guard and no freeze_support() needed.
In child processes procrun replays the script's definitions (imports, functions, classes,
constants) and nothing else; every other top-level statement runs once, in the main process.
Globals that functions use are copied into each child when it starts, as fork would have them.

SCRIPT may be a file (with or without .py), a directory or zip file with __main__.py, or
[bold]-m MODULE[/bold]. Everything after SCRIPT is passed to the script.
"""

EPILOG = """[bold]Examples[/bold]

  procrun examples/hello.py
  procrun --start-method spawn pool.py --workers 4
  procrun -m mypackage.tool input.csv
  PROCRUN_START_METHOD=forkserver procrun job.py
  procrun --cluster dask examples/scale.py
"""


class StartMethod(str, Enum):
    spawn = "spawn"
    forkserver = "forkserver"
    fork = "fork"


StartMethodOption = Annotated[
    StartMethod | None,
    typer.Option(
        "--start-method",
        "-s",
        envvar="PROCRUN_START_METHOD",
        help="Force this start method for the run (the script's own set_start_method calls "
        "are then ignored). Default: the script's choice, else Python's.",
        show_default=False,
    ),
]

ClusterOption = Annotated[
    str | None,
    typer.Option(
        "--cluster",
        metavar="ENGINE",
        help="Run the script's Pool and ProcessPoolExecutor tasks on a cluster: ray or dask "
        "(a local instance), ray://HOST:PORT (or RAY_ADDRESS) or dask://HOST:PORT (join one). "
        "Needs procrun\\[ray] or procrun\\[dask]; everything else runs locally.",
        show_default=False,
    ),
]

app = typer.Typer(
    name="procrun",
    help=HELP,
    epilog=EPILOG,
    add_completion=False,
    rich_markup_mode="rich",
    no_args_is_help=False,
    subcommand_metavar="SCRIPT [ARGS]... | COMMAND [ARGS]...",
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback(invoke_without_command=True)
def root(
    ctx: typer.Context,
    start_method: StartMethodOption = None,
    cluster: ClusterOption = None,
    module: Annotated[
        str | None,
        typer.Option(
            "-m",
            metavar="MODULE",
            help="Run library module MODULE as a script, as python -m does.",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", "-V", help="Print procrun's version and exit.")
    ] = False,
) -> None:
    if version:
        typer.echo(f"procrun {__version__}")
        raise typer.Exit(0)
    if module is not None:
        from procrun.launcher import run_module

        _join(cluster)
        raise typer.Exit(run_module(module, list(ctx.args), _value(start_method)))
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(2)


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    help="Run SCRIPT spawn-safely (the same as [bold]procrun SCRIPT[/bold]).",
)
def run(
    script: Annotated[
        str,
        typer.Argument(
            metavar="SCRIPT",
            help="A script file, or a directory or zip file with __main__.py.",
            show_default=False,
        ),
    ],
    args: Annotated[
        list[str] | None,
        typer.Argument(metavar="ARGS", help="Arguments passed to the script.", show_default=False),
    ] = None,
    start_method: StartMethodOption = None,
    cluster: ClusterOption = None,
) -> None:
    from procrun.launcher import run_script

    _join(cluster)
    raise typer.Exit(run_script(script, list(args or []), _value(start_method)))


register_freezer(app)
register_checker(app)


def _join(cluster: str | None) -> None:
    from procrun.entry import install_cluster

    if cluster is not None and not install_cluster(cluster):
        raise typer.Exit(2)


def _value(method: StartMethod | None) -> str | None:
    return None if method is None else method.value


def command() -> typer.core.TyperGroup:
    """The click command typer makes of :data:`app`, its help pages made plain (see
    :func:`plain_help`)."""
    built = typer.main.get_command(app)
    assert isinstance(built, typer.core.TyperGroup)
    plain_help(built)
    return built


def plain_help(command: Any) -> None:
    """Make ``command``'s help, and its subcommands', read like ruff's or uv's.

    typer shows a type after every parameter (``<bool>`` after each flag, ``<str>`` and
    ``<list[str]>`` after values and arguments) and a required argument as ``{SCRIPT}``.
    Here a flag shows nothing after its name, a value its metavar (else its choices, else
    its name: ``--name NAME``), an argument its name alone, plain in the usage line. Help
    texts are written in paragraphs broken to fit the source: their lines are joined again,
    so that the terminal wraps the prose at its own width (indented lines, the examples,
    stay as written)."""
    command.help = _rejoined(command.help)
    command.epilog = _rejoined(command.epilog)
    get_params = command.get_params

    def plain_params(ctx: Any) -> list[Any]:
        params = get_params(ctx)  # the help option among them, made anew for each page
        for param in params:
            _plain_param(param)
        return list(params)

    command.get_params = plain_params
    for sub in getattr(command, "commands", {}).values():
        plain_help(sub)


def _plain_param(param: Any) -> None:
    shown = _value_placeholder(param)
    param.__dict__["display_type_rich"] = lambda ctx: shown
    if isinstance(param, TyperArgument):
        name = param.metavar or str(param.name or "").upper()
        usage = name if param.required else f"[{name}]"
        usage += "..." if param.nargs != 1 else ""
        param.__dict__["_usage_display_name"] = lambda: usage


def _value_placeholder(param: Any) -> str | None:
    """What follows an option in help: nothing for a flag or an argument, else its metavar,
    its choices, or its name."""
    if isinstance(param, TyperArgument) or getattr(param, "is_flag", False):
        return None
    if param.metavar is not None:
        return str(param.metavar)
    described = getattr(param, "type_descriptor", None)
    if described is not None and described.is_choice:
        return "|".join(getattr(c, "value", str(c)) for c in described.choices or ())
    return str(param.name or "value").upper()


def _rejoined(text: str | None) -> str | None:
    """``text`` with the lines of each paragraph joined; indented lines kept as they are."""
    if not text:
        return text
    paragraphs = []
    for paragraph in text.strip("\n").split("\n\n"):
        lines: list[str] = []
        for line in paragraph.split("\n"):
            if lines and line and not line.startswith(" ") and not lines[-1].startswith(" "):
                lines[-1] += " " + line
            else:
                lines.append(line)
        paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)


def run_cli(args: list[str]) -> int:
    """Run the typer application on ``args``; its exit status."""
    try:
        command()(args=args, prog_name="procrun")
    except SystemExit as exit_:
        code = exit_.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return 0
