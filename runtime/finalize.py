"""Finalize: the processing package's finalizers, on ``multiprocessing.util.Finalize``.

A finalizer calls back when its object is garbage collected, or at exit (children
included) when it has an exit priority. multiprocessing's own finalizers (pools, managers,
queues) are this class, so the priorities of a legacy program's finalizers interleave with
theirs as they did in ``processing``. Both historical signatures are accepted:
0.3x's ``Finalize(obj, callback, args=(), atexit=False)`` and 0.4x-0.52's
``Finalize(obj, callback, args=(), kwargs=None, exitpriority=None)``.
"""

from __future__ import annotations

from multiprocessing import util

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

__all__ = ["Finalize"]


class Finalize(util.Finalize):
    """Finalize: call ``callback(*args, **kwargs)`` once, when ``obj`` is collected or, if it
    has an ``exitpriority``, at exit (highest priority first)."""

    def __init__(
        self,
        obj: object,
        callback: Callable[..., object],
        args: tuple[Any, ...] | list[Any] = (),
        kwargs: dict[str, Any] | bool | None = None,
        exitpriority: int | None = None,
        atexit: bool | None = None,
    ) -> None:
        if isinstance(kwargs, bool):  # 0.3x: the fourth argument was ``atexit``
            kwargs, atexit = None, kwargs
        if not callable(callback):
            raise TypeError(f"Finalize: callback must be callable, not {callback!r}")
        if not isinstance(args, (tuple, list)):
            raise TypeError(f"Finalize: args must be a tuple, not {args!r}")
        if kwargs is not None and not isinstance(kwargs, dict):
            raise TypeError(f"Finalize: kwargs must be a dict, not {kwargs!r}")
        if atexit and exitpriority is None:
            exitpriority = 0
        if exitpriority is not None and (
            isinstance(exitpriority, bool) or not isinstance(exitpriority, int)
        ):
            raise TypeError(f"Finalize: exitpriority must be an int or None, not {exitpriority!r}")
        if obj is None and exitpriority is None:
            raise ValueError("Finalize: with obj None, give an exitpriority (or atexit=True)")
        super().__init__(obj, callback, tuple(args), kwargs, exitpriority)

    def stillActive(self) -> bool:
        """Whether the callback is still to be called."""
        return bool(self.still_active())
