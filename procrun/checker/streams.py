"""The standard streams as the commands print to them: never failing on a character.

Output redirected to a file or a pipe is encoded with the locale's encoding, strictly. On
Windows that is the ANSI code page (cp1252 in Western Europe), which has no Japanese, no
check mark, no most of Unicode: one such character in a path, a message or a quoted source
line would end ``procrun check`` with a UnicodeEncodeError half-way through its report (rich
re-raises it too, only adding a hint). The same happens on POSIX to file names that are not
valid UTF-8 (their bytes come back as lone surrogates). So the commands print such a
character as an escape (``\\u65e5``) and go on, as Python's own ``sys.stderr`` does.

A windowed process (``pythonw``, a PyInstaller ``--windowed`` app) has no streams at all:
``sys.stdout`` and ``sys.stderr`` are None, and what would have been printed is dropped.
"""

from __future__ import annotations

import os
import sys
from typing import TextIO

#: What replaces a character the stream's encoding lacks.
ERRORS = "backslashreplace"


def tolerant(stream: TextIO | None) -> TextIO:
    """``stream``, set to escape what its encoding cannot hold; a sink if it is None."""
    if stream is None:
        # what a windowed app would have printed goes nowhere, for the rest of the process
        return open(os.devnull, "w", encoding="utf-8")
    errors = getattr(stream, "errors", None)
    reconfigure = getattr(stream, "reconfigure", None)
    if errors == "strict" and reconfigure is not None:
        try:
            stream.flush()
            reconfigure(errors=ERRORS)
        except (OSError, ValueError):  # closed, or a stream that cannot change now
            pass
    return stream


def tolerant_standard_streams() -> tuple[TextIO, TextIO]:
    """``sys.stdout`` and ``sys.stderr`` made :func:`tolerant` (rich prints to them too)."""
    return tolerant(sys.stdout), tolerant(sys.stderr)
