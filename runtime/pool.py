"""Pools of worker processes and managers, with the processing package's names.

``processing`` documented that a pool which is garbage collected terminates its workers at
once, pending work or not. Since Python 3.8 each pending result holds its pool, and the
pool's own threads hold the pending results, so a pool dropped with work outstanding lives
(and its workers with it) until the work is done. :class:`Pool` lets go of that reference
(:func:`_detached`): a result the program still holds keeps the pool's workers busy for it
only while the program also holds the pool, as in ``processing``.
"""

from __future__ import annotations

import multiprocessing
from multiprocessing import pool
from typing import TypeVar

from . import logger as _logger
from . import process as _process  # noqa: F401  (gives ``pool._pool`` workers the old names)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping
    from multiprocessing.context import BaseContext
    from multiprocessing.managers import SyncManager
    from typing import Any

__all__ = ["Manager", "Pool"]

_Result = TypeVar("_Result")


class OldPoolNames:
    """The processing package's camelCase names for a pool's methods."""

    def applyAsync(
        self: Any,
        func: Callable[..., Any],
        args: Iterable[Any] = (),
        kwds: dict[str, Any] | None = None,
        callback: Callable[[Any], object] | None = None,
    ) -> pool.AsyncResult[Any]:
        """Run ``func(*args, **kwds)`` in a worker; an AsyncResult."""
        return self.apply_async(func, tuple(args), kwds or {}, callback)

    def mapAsync(
        self: Any,
        func: Callable[[Any], Any],
        iterable: Iterable[Any],
        chunksize: int | None = None,
        callback: Callable[[Any], object] | None = None,
    ) -> pool.MapResult[Any]:
        """``map`` without waiting; an AsyncResult of the list of results."""
        return self.map_async(func, iterable, chunksize, callback)

    def imapUnordered(
        self: Any, func: Callable[[Any], Any], iterable: Iterable[Any], chunksize: int = 1
    ) -> Iterator[Any]:
        """``imap`` whose results come in the order they finish."""
        return self.imap_unordered(func, iterable, chunksize)


class Pool(OldPoolNames, pool.Pool):
    """Pool: worker processes to which tasks are submitted (camelCase names as well); it
    terminates its workers when it is garbage collected."""

    def __init__(
        self,
        processes: int | None = None,
        initializer: Callable[..., object] | None = None,
        initargs: Iterable[Any] = (),
        maxtasksperchild: int | None = None,
        context: BaseContext | None = None,
    ) -> None:
        if processes is not None and (
            isinstance(processes, bool) or not isinstance(processes, int) or processes < 1
        ):
            raise ValueError(f"Pool: processes must be a whole number >= 1, not {processes!r}")
        if initializer is not None and not callable(initializer):
            raise TypeError(f"Pool: initializer must be callable, not {initializer!r}")
        context = context or multiprocessing.get_context()
        super().__init__(
            processes,
            _start_worker,
            (_logger.carried(), initializer, tuple(initargs)),
            maxtasksperchild,
            context,
        )

    def apply_async(self, *args: Any, **kwargs: Any) -> pool.ApplyResult[Any]:
        """Run ``func(*args, **kwds)`` in a worker; an AsyncResult."""
        return _detached(super().apply_async(*args, **kwargs))

    def map_async(self, *args: Any, **kwargs: Any) -> pool.MapResult[Any]:
        """``map`` without waiting; an AsyncResult of the list of results."""
        return _detached(super().map_async(*args, **kwargs))

    def starmap_async(self, *args: Any, **kwargs: Any) -> pool.AsyncResult[list[Any]]:
        """``starmap`` without waiting; an AsyncResult of the list of results."""
        return _detached(super().starmap_async(*args, **kwargs))

    # The waiting forms wait through _waited(): an error raised by a task must not tie the
    # pool to itself (see _waited), or ``del pool`` after it would leave the workers running.
    def apply(
        self,
        func: Callable[..., Any],
        args: Iterable[Any] = (),
        kwds: Mapping[str, Any] = {},
    ) -> Any:
        """Run ``func(*args, **kwds)`` in a worker and wait for the result."""
        return _waited(self.apply_async(func, args, kwds))

    def map(
        self, func: Callable[[Any], Any], iterable: Iterable[Any], chunksize: int | None = None
    ) -> list[Any]:
        """Apply ``func`` to each item in the workers; the results, in order."""
        return _waited(self.map_async(func, iterable, chunksize))

    def starmap(
        self, func: Callable[..., Any], iterable: Iterable[Any], chunksize: int | None = None
    ) -> list[Any]:
        """``map`` with each item unpacked as the arguments."""
        return _waited(self.starmap_async(func, iterable, chunksize))

    def imap(  # type: ignore[override]
        self, func: Callable[[Any], Any], iterable: Iterable[Any], chunksize: int | None = 1
    ) -> Iterator[Any]:
        """Lazy ``map``: results in order; the iterator's ``next(timeout)`` waits at most
        ``timeout`` seconds."""
        return self._imap(super().imap, func, iterable, chunksize)

    def imap_unordered(  # type: ignore[override]
        self, func: Callable[[Any], Any], iterable: Iterable[Any], chunksize: int | None = 1
    ) -> Iterator[Any]:
        """``imap`` whose results come in the order they finish."""
        return self._imap(super().imap_unordered, func, iterable, chunksize)

    def _imap(
        self,
        method: Callable[..., Iterator[Any]],
        func: Callable[[Any], Any],
        iterable: Iterable[Any],
        chunksize: int | None,
    ) -> Iterator[Any]:
        if isinstance(chunksize, bool) or not isinstance(chunksize, int) or chunksize < 1:
            raise ValueError(f"chunksize must be a whole number >= 1, not {chunksize!r}")
        if chunksize == 1:
            return _detached(method(func, iterable, 1))
        # The standard library hides the result in a generator; send the chunks as tasks.
        tasks = self._get_tasks(func, iterable, chunksize)  # type: ignore[attr-defined]
        chunks = _detached(method(pool.mapstar, tasks, 1))  # type: ignore[attr-defined]
        return _Unchunked(chunks)

    def shutdown(self) -> None:
        """shutdown: stop the workers once the work given to them is done, and wait (0.37)."""
        self.close()
        self.join()


class _Unchunked:
    """The results of an ``imap`` sent in chunks, one by one; ``next(timeout)`` as with
    a chunk size of 1 (it raises ``multiprocessing.TimeoutError`` if the next chunk has not
    come within ``timeout`` seconds)."""

    def __init__(self, chunks: Any) -> None:
        self._chunks = chunks
        self._chunk: Iterator[Any] = iter(())

    def __iter__(self) -> _Unchunked:
        return self

    def next(self, timeout: float | None = None) -> Any:
        """The next result, waiting at most ``timeout`` seconds for it (None: for ever)."""
        while True:
            for item in self._chunk:
                return item
            self._chunk = iter(self._chunks.next(timeout))

    __next__ = next


def _waited(result: Any) -> Any:
    """``result.get()``; a task's error is raised without the result still holding it.

    The error's traceback holds the frame of ``get()``, whose ``self`` is the result, whose
    ``_value`` is the error: a cycle that only the garbage collector frees, and which keeps
    alive everything the traceback's frames hold, the pool among them. ``processing``
    documented that deleting a pool stops its workers; with the cycle it does not.
    """
    try:
        return result.get()
    except BaseException:
        result._value = None
        raise


def _detached(result: _Result) -> _Result:
    """The result without its reference to the pool (see the module's docstring)."""
    result._pool = None  # type: ignore[attr-defined]
    return result


def _start_worker(
    logging: tuple[Any, ...] | None,
    initializer: Callable[..., object] | None,
    initargs: tuple[Any, ...],
) -> None:
    """First thing in a worker: repeat the parent's ``enableLogging``, then the initializer."""
    _logger.repeat_in_child(logging)
    if initializer is not None:
        initializer(*initargs)


def Manager(ctx: BaseContext | None = None) -> SyncManager:
    """Manager: a server process holding shared objects; its proxies may be ``copy.copy()``-ed
    to give each thread its own (a proxy is not for several threads without a lock)."""
    return (ctx or multiprocessing.get_context()).Manager()
