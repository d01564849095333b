"""What this process is running under procrun: set by the launcher (parent) or the replay
(child), read by the multiprocessing hooks. Forked children inherit it as it is."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from procrun.guard import Split
    from procrun.target import Target

#: the program this process tree runs, or None when procrun is not the launcher
target: Target | None = None
#: the namespace that the program's functions use as their globals
main_globals: dict[str, Any] | None = None
#: globals that could not be copied into this child (name -> reason)
missing_globals: dict[str, str] = {}


#: whether a process that replays the script's definitions (started by spawn or forkserver)
#: may receive what this one pickles; until then nobody needs the script's split
replaying = False


def _replayed_split() -> Split | None:
    """The split a spawned child replays; None when that is unknown, or when no child
    replays (under fork, children have the parent's whole namespace: parsing a large script
    for the answer would cost seconds)."""
    if not replaying:
        return None
    return target.split if target is not None else None


def defined_names() -> frozenset[str] | None:
    """Names a spawned child's replay binds at all, with the parent's value or not (a name
    the main process rebinds later is one); None as for :func:`replayed_names`."""
    split = _replayed_split()
    return frozenset(split.defined) if split is not None else None


def replayed_names() -> frozenset[str] | None:
    """Names a spawned child gets by replaying definitions; None when that is unknown, or
    when no child replays (see :func:`_replayed_split`)."""
    split = _replayed_split()
    return split.replayed if split is not None else None
