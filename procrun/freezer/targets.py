"""What PyInstaller makes on each operating system, and what each one allows.

PyInstaller builds for the system it runs on (it does not cross-compile), so ``sys.platform``
at build time names the target; each function here reads it when called, and holds one
platform fact. From PyInstaller's sources (``building/api.py``, ``building/osx.py``,
``building/makespec.py``):

- Windows: ``EXE`` appends ``.exe`` to the name: a one-file build is ``dist\\NAME.exe``, a
  one-folder build ``dist\\NAME\\NAME.exe``.
- macOS: a windowed app is a ``.app`` bundle, made by the spec's ``BUNDLE`` step (which
  ``makespec`` writes only on macOS and only for windowed builds) as ``dist/NAME.app``, its
  program in ``Contents/MacOS``. ``BUNDLE`` of a one-file ``EXE`` is deprecated ("a .app
  bundle can not be a single file", an error from PyInstaller 7), so procrun bundles the
  one-folder build. Architecture and code signing are ``EXE`` arguments that PyInstaller
  drops on other systems.
- ``--add-data SOURCE:DEST``: PyInstaller (``SourceDestAction``) splits at ``:`` or at
  ``os.pathsep``, which is ``;`` on Windows, where a drive (``C:\\``) is no separator.
- Windows has only the spawn start method.
"""

from __future__ import annotations

import ntpath
import os
import sys
from dataclasses import dataclass

#: ``--target-arch`` values PyInstaller accepts (``EXE`` asserts one of them on macOS).
TARGET_ARCHS = ("x86_64", "arm64", "universal2")


@dataclass(frozen=True)
class Output:
    """A path PyInstaller writes in the dist folder: a file, or a folder it replaces whole."""

    path: str
    folder: bool


def is_windows() -> bool:
    return sys.platform == "win32"


def is_macos() -> bool:
    return sys.platform == "darwin"


def makes_app_bundle(console: bool) -> bool:
    """Whether the build ends with ``BUNDLE``: a windowed app on macOS."""
    return is_macos() and not console


def default_onefile(console: bool) -> bool:
    """One file, except for a macOS ``.app``, which PyInstaller makes from a folder."""
    return not makes_app_bundle(console)


def outputs(dist: str, name: str, onefile: bool, console: bool) -> list[Output]:
    """What the build writes into ``dist``."""
    main = os.path.join(dist, name)
    made = [Output(main + ".exe" if onefile and is_windows() else main, folder=not onefile)]
    if makes_app_bundle(console):
        made.append(Output(main + ".app", folder=True))
    return made


def executable(dist: str, name: str, onefile: bool, console: bool) -> str:
    """The program to run after the build."""
    if makes_app_bundle(console):
        return os.path.join(dist, f"{name}.app", "Contents", "MacOS", name)
    path = os.path.join(dist, name) if onefile else os.path.join(dist, name, name)
    return path + ".exe" if is_windows() else path


def start_methods() -> tuple[str, ...]:
    """The start methods the built app can use."""
    if is_windows():
        return ("spawn",)
    import multiprocessing

    return tuple(multiprocessing.get_all_start_methods())


def split_data_option(value: str) -> tuple[str, str] | None:
    """``--add-data SOURCE:DEST`` as (SOURCE, DEST), or None if it has no separator.

    The last ``:`` separates (a source may hold colons on POSIX); on Windows ``;`` does too,
    and the colon of a drive (``C:\\data``) does not.
    """
    drive = ntpath.splitdrive(value)[0] if is_windows() else ""
    rest = value[len(drive) :]
    cut = max(rest.rfind(":"), rest.rfind(";") if is_windows() else -1)
    if cut < 0:
        return None
    return drive + rest[:cut], rest[cut + 1 :]
