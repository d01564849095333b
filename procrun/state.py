"""What this process is running under procrun: set by the launcher (parent) or the replay
(child), read by the multiprocessing hooks. Forked children inherit it as it is."""

from __future__ import annotations

from typing import Any

from procrun.guard import Split
from procrun.target import Target

#: the program this process tree runs, or None when procrun is not the launcher
target: Target | None = None
#: its definition/action split
split: Split | None = None
#: the namespace that the program's functions use as their globals
main_globals: dict[str, Any] | None = None
#: globals that could not be copied into this child (name -> reason)
missing_globals: dict[str, str] = {}


def replayed_names() -> frozenset[str]:
    """Names a spawned child gets from replaying definitions (empty without a launcher)."""
    return split.replayed if split is not None else frozenset()
