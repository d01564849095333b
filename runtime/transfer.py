"""Guideline: "avoid shifting large amounts of data between processes".

Under spawn and forkserver, a child receives its target and arguments pickled. When one child
start ships more than :data:`LARGE` bytes of them, warn once, naming the largest items and
the alternatives (shared memory, or a path the child reads itself).
"""

from __future__ import annotations

from .console import say

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, BinaryIO

#: Bytes of pickled arguments per child start above which the warning is given.
LARGE = 64 * 1024 * 1024
#: What the warning advises (procrun's warning on large copied globals says it too).
ADVICE = (
    "avoid shifting large amounts of data between processes: put it in a "
    "processing.SharedArray, or pass a file path the child reads"
)

_warned = False


def install() -> None:
    """Measure what each child start pickles (``multiprocessing.reduction.dump``); idempotent."""
    from multiprocessing import reduction

    dump = reduction.dump
    if getattr(dump, "measures_transfers", False):
        return

    def measured_dump(obj: Any, file: BinaryIO, protocol: int | None = None) -> None:
        _procrun_wrapper = True  # left out of the launcher's tracebacks
        if _warned:
            return dump(obj, file, protocol)
        # Counted as written, not by file.tell(): spawn on Windows pickles straight into
        # the pipe to the child (popen_spawn_win32), whose position a file cannot tell.
        counted = _CountingWriter(file)
        dump(obj, counted, protocol)
        if counted.written > LARGE:
            _warn_if_arguments_are_large(obj)
        return None

    measured_dump.measures_transfers = True  # type: ignore[attr-defined]
    reduction.dump = measured_dump  # type: ignore[assignment]


class _CountingWriter:
    """Passes what the pickler writes on to a file, counting the bytes."""

    __slots__ = ("_write", "written")

    def __init__(self, file: BinaryIO) -> None:
        self._write = file.write
        self.written = 0

    def write(self, data: Any) -> int:
        self.written += len(data)
        return self._write(data)


def _warn_if_arguments_are_large(process: Any) -> None:
    global _warned
    import pickle

    parts = [("the target", getattr(process, "_target", None))]
    parts += [(f"argument {i}", v) for i, v in enumerate(getattr(process, "_args", ()))]
    parts += [(f"argument {k!r}", v) for k, v in getattr(process, "_kwargs", {}).items()]
    sizes = []
    for label, value in parts:
        try:
            sizes.append((len(pickle.dumps(value, pickle.HIGHEST_PROTOCOL)), label, value))
        except Exception:
            continue  # it did pickle for the child; only its size is unknown here
    total = sum(size for size, _, _ in sizes)
    if total <= LARGE:
        return  # the bulk is something else (procrun reports copied globals itself)
    _warned = True
    sizes.sort(key=lambda item: item[0], reverse=True)
    largest = ", ".join(
        f"{label} ({type(value).__name__}, {size / 2**20:.0f} MiB)"
        for size, label, value in sizes[:3]
    )
    name = getattr(process, "name", "a process")
    say(
        f"processing: warning: starting {name} sends {total / 2**20:.0f} MiB of arguments to "
        f"the child (largest: {largest}); {ADVICE}\n"
    )
