"""``procrun check`` parsed by hand, so that a run never pays for importing typer.

A linter runs on every save and every commit: start-up is most of a run over a cached tree
(typer and what it loads take longer than the check itself). This parser accepts exactly
the options of the typer command in :mod:`procrun.checker.commands`, in the same spellings
(``--opt value``, ``--opt=value``, ``-j4``); anything else (``--help``, a mistake) returns
None and the typer command handles it, with its help and its usage errors.
"""

from __future__ import annotations

from collections.abc import Sequence

#: option -> (keyword of run_check, takes a value, may repeat)
_OPTIONS: dict[str, tuple[str, bool, bool]] = {
    "--format": ("output_format", True, False),
    "-f": ("output_format", True, False),
    "--select": ("select", True, True),
    "--ignore": ("ignore", True, True),
    "--explain": ("explain", True, False),
    "--config": ("config_path", True, False),
    "--jobs": ("jobs", True, False),
    "-j": ("jobs", True, False),
    "--stdin-filename": ("stdin_filename", True, False),
    "--no-color": ("color", False, False),
    "--no-cache": ("cache", False, False),
}
_FORMATS = ("text", "json", "sarif", "github")


def run(args: Sequence[str]) -> int | None:
    """Run ``procrun check ARGS`` if every argument is understood; else None."""
    parsed = parse(args)
    if parsed is None:
        return None
    paths, options = parsed
    from procrun.checker.check_command import run_check

    return run_check(paths, **options)  # type: ignore[arg-type]


def parse(args: Sequence[str]) -> tuple[list[str], dict[str, object]] | None:
    """``(paths, keyword arguments of run_check)``, or None for what typer should handle."""
    paths: list[str] = []
    options: dict[str, object] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            paths.extend(args[i:])
            break
        if arg == "-" or not arg.startswith("-"):
            paths.append(arg)
            continue
        name, equals, value = arg.partition("=")
        if not equals and name not in _OPTIONS and name[:2] in ("-f", "-j"):
            name, value, equals = name[:2], name[2:], "="  # -j4, -fjson
        if name not in _OPTIONS:
            return None
        keyword, takes_value, repeats = _OPTIONS[name]
        if not takes_value:
            if equals:
                return None
            options[keyword] = False
            continue
        if not equals:
            if i >= len(args):
                return None
            value = args[i]
            i += 1
        if keyword in options and not repeats:
            return None
        if repeats:
            values = options.setdefault(keyword, [])
            assert isinstance(values, list)
            values.append(value)
        elif keyword == "jobs":
            if not value.isdigit():
                return None
            options[keyword] = int(value)
        elif keyword == "output_format" and value not in _FORMATS:
            return None
        else:
            options[keyword] = value
    return paths, options
