"""``[tool.procrun]`` in ``pyproject.toml``: which rules to run and which paths to skip.

    [tool.procrun]
    select = ["PR001", "PR002", "PR003"]   # default: every rule
    ignore = ["PR007"]
    exclude = ["examples/legacy/*", "scratch.py"]

Other keys of the table belong to procrun's other commands and are left alone.

As in ruff, each file is governed by the nearest ``pyproject.toml`` with a ``[tool.procrun]``
table in its own directory or above (:class:`Settings`), so a repository of several projects
is checked with each one's settings; ``--config`` names one file for all, and ``--select`` /
``--ignore`` apply on top of whichever file governs.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found]

from procrun.checker.rules import ALL_CODES


class ConfigError(Exception):
    """A configuration (file or option) that cannot be used; the message says why."""


@dataclass(frozen=True)
class Config:
    """The settings of one ``procrun check`` run."""

    select: frozenset[str] = ALL_CODES
    ignore: frozenset[str] = frozenset()
    exclude: tuple[str, ...] = ()
    source: str | None = None  # the pyproject.toml read, if any
    #: ``frozen = true/false``: whether the project is frozen into executables (None: unsaid)
    frozen: bool | None = None
    #: the codes ``select`` names one by one (not through ``ALL``): asked for in so many words
    named: frozenset[str] = frozenset()

    @property
    def codes(self) -> frozenset[str]:
        """The codes to report."""
        return self.select - self.ignore


def find_pyproject(start: str) -> str | None:
    """The nearest ``pyproject.toml`` at or above ``start`` that has ``[tool.procrun]``."""
    directory = os.path.abspath(start)
    while True:
        candidate = os.path.join(directory, "pyproject.toml")
        if os.path.isfile(candidate) and _has_table(candidate):
            return candidate
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def _has_table(path: str) -> bool:
    try:
        with open(path, "rb") as file:
            return b"[tool.procrun" in file.read()
    except OSError:
        return False


def load(path: str | None) -> Config:
    """The configuration in ``path`` (a ``pyproject.toml``); defaults for None."""
    if path is None:
        return Config()
    try:
        with open(path, "rb") as file:
            data = tomllib.load(file)
    except OSError as error:
        raise ConfigError(f"{path}: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None
    table = data.get("tool", {}).get("procrun", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.procrun] must be a table")
    select = _codes(table, "select", path)
    ignore = _codes(table, "ignore", path)
    exclude = _strings(table, "exclude", path)
    frozen = table.get("frozen")
    if frozen is not None and not isinstance(frozen, bool):
        raise ConfigError(f"{path}: [tool.procrun] frozen must be true or false")
    return Config(
        select=frozenset(select) if select is not None else ALL_CODES,
        ignore=frozenset(ignore or ()),
        exclude=tuple(exclude or ()),
        source=path,
        frozen=frozen,
        named=_named(_strings(table, "select", path)),
    )


def with_options(
    config: Config, select: Iterable[str] | None, ignore: Iterable[str] | None
) -> Config:
    """``config`` with command-line ``--select``/``--ignore`` (comma lists) applied on top."""
    chosen = parse_codes(select, "--select")
    dropped = parse_codes(ignore, "--ignore")
    return Config(
        select=frozenset(chosen) if chosen else config.select,
        ignore=config.ignore | frozenset(dropped),
        exclude=config.exclude,
        source=config.source,
        frozen=config.frozen,
        named=_named(select) if chosen else config.named,
    )


def _named(values: Iterable[str] | None) -> frozenset[str]:
    """The codes among ``select`` values named one by one (``ALL`` names none)."""
    words = (word.strip().upper() for value in values or () for word in value.split(","))
    return frozenset(word for word in words if word in ALL_CODES)


def parse_codes(values: Iterable[str] | None, option: str) -> list[str]:
    """``["PR001,PR002", "PR003"]`` -> the codes, checked; ``ALL`` means every rule."""
    codes: list[str] = []
    for value in values or ():
        for word in value.split(","):
            code = word.strip().upper()
            if not code:
                continue
            if code == "ALL":
                codes.extend(sorted(ALL_CODES))
            elif code in ALL_CODES:
                codes.append(code)
            else:
                raise ConfigError(f"{option}: unknown rule code {word.strip()!r} {_known()}")
    return codes


def _known() -> str:
    return f"(known: {', '.join(sorted(ALL_CODES))})"


def _codes(table: dict[str, Any], key: str, path: str) -> list[str] | None:
    values = _strings(table, key, path)
    if values is None:
        return None
    return parse_codes(values, f"{path}: [tool.procrun] {key}")


def _strings(table: dict[str, Any], key: str, path: str) -> list[str] | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{path}: [tool.procrun] {key} must be a list of strings")
    return value


class Settings:
    """The configuration governing each directory: the nearest ``pyproject.toml`` with
    ``[tool.procrun]`` at or above it (each file read once), with the command line's
    ``--select``/``--ignore`` on top; or one file for all (``--config``)."""

    def __init__(
        self,
        config_path: str | None = None,
        select: Iterable[str] | None = None,
        ignore: Iterable[str] | None = None,
    ) -> None:
        self._select = list(select or ())
        self._ignore = list(ignore or ())
        with_options(Config(), self._select, self._ignore)  # bad codes fail now, once
        self._by_directory: dict[str, Config] = {}
        self._by_file: dict[str | None, Config] = {}
        self._fixed = None if config_path is None else self._load(config_path)

    def _load(self, path: str | None) -> Config:
        config = self._by_file.get(path)
        if config is None:
            config = with_options(load(path), self._select, self._ignore)
            self._by_file[path] = config
        return config

    def for_directory(self, directory: str) -> Config:
        """The configuration of files in ``directory``."""
        if self._fixed is not None:
            return self._fixed
        key = os.path.abspath(directory)
        config = self._by_directory.get(key)
        if config is None:
            config = self._load(find_pyproject(key))
            self._by_directory[key] = config
        return config

    def for_file(self, path: str) -> Config:
        """The configuration of the file ``path``."""
        return self.for_directory(os.path.dirname(path) or ".")
