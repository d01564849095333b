"""Pools of worker processes and managers, with the processing package's names."""

from __future__ import annotations

import multiprocessing
from multiprocessing import pool

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from multiprocessing.context import BaseContext
    from multiprocessing.managers import SyncManager
    from typing import Any

__all__ = ["Manager", "Pool"]


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
    """Pool: worker processes to which tasks are submitted (camelCase names as well)."""

    def __init__(
        self,
        processes: int | None = None,
        initializer: Callable[..., object] | None = None,
        initargs: Iterable[Any] = (),
        maxtasksperchild: int | None = None,
        context: BaseContext | None = None,
    ) -> None:
        context = context or multiprocessing.get_context()
        super().__init__(processes, initializer, initargs, maxtasksperchild, context)


def Manager(ctx: BaseContext | None = None) -> SyncManager:
    """Manager: a server process holding shared objects; its proxies may be ``copy.copy()``-ed
    to give each thread its own (a proxy is not for several threads without a lock)."""
    return (ctx or multiprocessing.get_context()).Manager()
