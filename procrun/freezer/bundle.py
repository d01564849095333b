"""What a procrun-built PyInstaller spec bundles: the entry script, the user's script, the
self-check, and procrun's light part.

A spec that ``procrun freeze --spec`` writes calls :func:`prepare`, so it builds with plain
``pyinstaller NAME.spec`` too, wherever procrun is installed.
"""

from __future__ import annotations

import keyword
import os
import pkgutil
import re
from dataclasses import dataclass, field
from importlib import resources
from string import Template

import procrun
from procrun.frozen import SELF_CHECK_SCRIPT

#: procrun's modules a frozen app must not carry: they import typer, rich, libcst, PyInstaller,
#: or (procrun.cluster, for --cluster, which a frozen app has not) Ray and Dask.
HEAVY_MODULES = (
    "procrun.cli",
    "procrun.checker",
    "procrun.freezer",
    "procrun.__main__",
    "procrun.cluster",
)
#: What the frozen app imports by name at run time, where PyInstaller's analysis cannot see:
#: the runtime library, procrun's late imports (see procrun.imports), the self-check's.
ALWAYS_BUNDLED = (
    "processing",
    "processing.dummy",
    "cloudpickle",
    "ast",
    "symtable",
    "tokenize",
    "signal",
    "json",
)


@dataclass
class Bundle:
    """The inputs of PyInstaller's ``Analysis`` for one app."""

    entry: str
    pathex: list[str] = field(default_factory=list)
    datas: list[tuple[str, str]] = field(default_factory=list)
    hiddenimports: list[str] = field(default_factory=list)
    excludes: list[str] = field(default_factory=list)


def render(template: str, **values: object) -> str:
    """``templates/TEMPLATE`` with ``$name`` placeholders replaced by ``values``."""
    text = resources.files("procrun.templates").joinpath(template).read_text(encoding="utf-8")
    return Template(text).substitute({key: str(value) for key, value in values.items()})


def prepare(script: str, name: str, work: str, start_method: str | None = None) -> Bundle:
    """Write the entry script for ``script`` into ``work``; what to hand to ``Analysis``.

    The script itself is bundled as source (the launcher compiles it, and children replay
    its definitions, at run time); PyInstaller analyses its imports through a copy under a
    module name that nothing else can have.
    """
    script = os.path.abspath(script)
    # procrun's light part first (a copy: PyInstaller cannot see through editable installs),
    # then the script's neighbours, then the script's analysed copy.
    pathex = [_stage_runtime(os.path.join(work, "lib")), os.path.dirname(script), work]
    os.makedirs(work, exist_ok=True)
    script_name = os.path.basename(script)
    if not script_name.endswith(".py"):
        script_name += ".py"
    entry = os.path.join(work, f"{_identifier(name)}_procrun_entry.py")
    _write_if_changed(
        entry,
        render(
            "entry.py.tmpl",
            name=name,
            version=procrun.__version__,
            script_name=script_name,
            script=repr(script_name),
            start_method=repr(start_method),
        ),
    )
    analysed = f"procrun_app_{_identifier(os.path.splitext(script_name)[0])}"
    with open(script, "rb") as handle:
        _write_if_changed(os.path.join(work, analysed + ".py"), handle.read())
    self_check = str(resources.files("procrun.templates").joinpath(SELF_CHECK_SCRIPT))
    if script_name != os.path.basename(script):
        script = _renamed_copy(script, script_name, work)
    return Bundle(
        entry=entry,
        pathex=pathex,
        datas=[(script, "."), (self_check, ".")],
        hiddenimports=[analysed, *light_modules(), *ALWAYS_BUNDLED],
        # With "__main__" already there, PyInstaller does not extend this list in place,
        # which would make its cache see changed excludes at every build.
        excludes=[*HEAVY_MODULES, "__main__"],
    )


def light_modules() -> list[str]:
    """procrun's modules a frozen app may import (children import some by name)."""
    names = ["procrun"]
    for module in pkgutil.iter_modules(procrun.__path__, "procrun."):
        if not module.name.startswith(HEAVY_MODULES):
            names.append(module.name)
    return names


def _stage_runtime(folder: str) -> str:
    """Copy procrun's light modules and ``processing`` into ``folder``; return ``folder``."""
    import processing  # type: ignore[import-not-found, unused-ignore]

    heavy = {name.split(".")[1] for name in HEAVY_MODULES}
    for package, source in (
        ("procrun", procrun.__path__[0]),
        ("processing", processing.__path__[0]),
    ):
        for directory, subdirectories, files in os.walk(source):
            relative = os.path.relpath(directory, source)
            skip = heavy if package == "procrun" and relative == "." else set()
            subdirectories[:] = [
                sub for sub in subdirectories if sub != "__pycache__" and sub not in skip
            ]
            target = os.path.normpath(os.path.join(folder, package, relative))
            os.makedirs(target, exist_ok=True)
            for file in files:
                if file.endswith(".py") and file[:-3] not in skip:
                    with open(os.path.join(directory, file), "rb") as handle:
                        _write_if_changed(os.path.join(target, file), handle.read())
    return folder


def _renamed_copy(script: str, script_name: str, work: str) -> str:
    """A copy of a script without ``.py`` under the name the bundle gives it."""
    directory = os.path.join(work, "script")
    os.makedirs(directory, exist_ok=True)
    copy = os.path.join(directory, script_name)
    with open(script, "rb") as handle:
        _write_if_changed(copy, handle.read())
    return copy


def _identifier(text: str) -> str:
    name = re.sub(r"\W", "_", text)
    if not name or name[0].isdigit() or keyword.iskeyword(name):
        name = "_" + name
    return name


def _write_if_changed(path: str, content: str | bytes) -> None:
    # An unchanged file keeps its time stamp, so PyInstaller's cache sees nothing to redo.
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        with open(path, "rb") as handle:
            if handle.read() == data:
                return
    except OSError:
        pass
    with open(path, "wb") as handle:
        handle.write(data)
