"""Is this program frozen into an executable? What PR002 needs to know before it speaks.

``freeze_support()`` does something only in a frozen Windows program (PyInstaller, cx_Freeze,
py2exe, Nuitka, ``procrun freeze``); everywhere else it returns at once. Asking for it in
every guarded script is noise, so PR002 reports only where freezing is evident:

- in the file itself: it reads ``sys.frozen`` or ``sys._MEIPASS``, carries Nuitka's
  ``# nuitka-project:`` options, or already calls ``freeze_support()``/``freezeSupport()``
  (then its place matters) -- see :data:`IN_SOURCE`;
- in the project, from the file's directory up to the directory of the configuration that
  governs it (or the repository root, or the filesystem's): a PyInstaller ``*.spec`` file
  (``procrun freeze --spec`` writes one too), or a ``pyproject.toml``, ``setup.py`` or
  ``setup.cfg`` that names a freezer -- see :class:`ProjectFreezing`;
- or the user says so: ``[tool.procrun] frozen = true``, or PR002 named in ``select``.
"""

from __future__ import annotations

import os
import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    from procrun.checker.config import Config

#: The file itself shows it runs frozen (a ``freeze_support()`` call, the other sign, is
#: the checker's to see: a regex would find one in a comment).
IN_SOURCE = re.compile(rb"\bsys\.frozen\b|['\"]frozen['\"]|\b_MEIPASS\b|#\s*nuitka-project")

#: A build configuration that freezes: the freezers' names as they appear in one.
_FREEZER = re.compile(
    rb"(?i)\b(?:pyinstaller|cx_freeze|cxfreeze|py2exe|py2app|nuitka|briefcase|procrun\s+freeze)\b"
)
_BUILD_FILES = ("pyproject.toml", "setup.py", "setup.cfg")
#: Where a walk upward stops: the root of a repository.
_REPOSITORY_MARKERS = (".git", ".hg", ".svn")


class ProjectFreezing:
    """Answers :meth:`freezes` for one run of the checker, reading each directory once (a
    new run sees a spec file written since)."""

    def __init__(self) -> None:
        #: directory -> whether it holds a freezing configuration (its own files only)
        self._directories: dict[str, bool] = {}
        self._answers: dict[tuple[str, str | None], bool] = {}

    def for_file(self, path: str, config: Config) -> bool | None:
        """Whether PR002 applies to ``path``, governed by ``config``: asked for by name,
        said in the configuration, or evident in the project; None leaves it to what the
        file itself shows (:data:`IN_SOURCE`)."""
        if "PR002" in config.named:
            return True
        if config.frozen is not None:
            return config.frozen
        top = os.path.dirname(config.source) if config.source else None
        return True if self.freezes(os.path.dirname(path) or ".", top) else None

    def freezes(self, directory: str, top: str | None = None) -> bool:
        """Whether ``directory`` or a directory above it, up to ``top`` (inclusive) or else
        the repository's root, holds a spec file or a build configuration naming a freezer."""
        key = (directory, top)
        answer = self._answers.get(key)
        if answer is None:
            answer = self._answers[key] = self._walk_up(directory, top)
        return answer

    def _walk_up(self, directory: str, top: str | None) -> bool:
        current = os.path.abspath(directory)
        top = os.path.abspath(top) if top is not None else None
        while True:
            if self._holds_freezing_configuration(current):
                return True
            if current == top or any(
                os.path.exists(os.path.join(current, marker)) for marker in _REPOSITORY_MARKERS
            ):
                return False
            parent = os.path.dirname(current)
            if parent == current:
                return False
            current = parent

    def _holds_freezing_configuration(self, directory: str) -> bool:
        known = self._directories.get(directory)
        if known is None:
            known = self._directories[directory] = _holds_freezing_configuration(directory)
        return known


def _holds_freezing_configuration(directory: str) -> bool:
    try:
        with os.scandir(directory) as scan:
            names = [entry.name for entry in scan if entry.is_file()]
    except OSError:
        return False
    for name in names:
        if name.endswith(".spec"):
            return True
        if name in _BUILD_FILES:
            try:
                with open(os.path.join(directory, name), "rb") as file:
                    if _FREEZER.search(file.read()):
                        return True
            except OSError:
                continue
    return False
