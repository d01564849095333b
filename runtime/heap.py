"""Blocks of shared memory, as ``processing.heap`` (0.40-0.52) handed them out.

``multiprocessing.heap`` is the same allocator (arenas of ``mmap``, carved into aligned
blocks, freed when their owner is collected); what changed is the names. ``BufferWrapper``
here is ``multiprocessing``'s with the old accessors: ``getAddress()`` for ctypes'
``from_address``, ``getView()`` for a writable view (a ``memoryview``, since Python 3 has no
``buffer``), ``getSize()``. Like every shared-memory object, a block reaches a child only by
inheritance: pass it to ``Process``.
"""

from __future__ import annotations

import ctypes
import mmap
import multiprocessing.heap as _mp_heap
from collections import defaultdict
from collections.abc import Iterator
from multiprocessing.util import Finalize

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["Arena", "BufferWrapper", "Heap"]

Arena = _mp_heap.Arena


class _BlocksByArena(defaultdict):
    """The heap's allocated blocks (arena -> {(start, stop)}), iterated as the original
    heap's set of ``(arena, start, stop)`` blocks was; lookups are the dict's."""

    def __iter__(self) -> Iterator[Any]:
        for arena, blocks in self.items():
            for start, stop in blocks:
                yield arena, start, stop


class Heap(_mp_heap.Heap):
    """Heap: multiprocessing's allocator, its bookkeeping readable as 0.52's.

    Programs (the original test suite among them) check the heap's consistency by walking
    ``_len_to_seq``, ``_arenas`` and ``_allocated_blocks``; the last held ``(arena, start,
    stop)`` blocks there and maps arenas to their blocks here.
    """

    def __init__(self, size: int = mmap.PAGESIZE) -> None:
        super().__init__(size)
        self._allocated_blocks = _BlocksByArena(set)


class BufferWrapper(_mp_heap.BufferWrapper):
    """BufferWrapper: ``size`` bytes of shared memory, zeroed, freed with this object."""

    _heap = Heap()

    def __init__(self, size: int) -> None:
        if not isinstance(size, int) or isinstance(size, bool):
            raise TypeError(f"BufferWrapper(size): size must be an int, not {size!r}")
        if size < 0:
            raise ValueError(f"BufferWrapper(size): size must be 0 or more, not {size}")
        # As multiprocessing's __init__, from this class's heap (that one names its own).
        heap = BufferWrapper._heap
        block = heap.malloc(size)
        self._state = (block, size)
        Finalize(self, heap.free, args=(block,))

    def getView(self) -> memoryview:
        """A writable memoryview of the block (``create_memoryview``)."""
        return self.create_memoryview()

    def getSize(self) -> int:
        """The size of the block in bytes, as asked for."""
        size: int = self._state[1]
        return size

    def getAddress(self) -> int:
        """The block's address in this process, for ``ctype.from_address()``."""
        (arena, start, _stop), _size = self._state
        # The object exporting the buffer is dropped at once: the mmap stays resizable.
        return ctypes.addressof(ctypes.c_char.from_buffer(arena.buffer, start))

    get_view = getView
    get_size = getSize
    get_address = getAddress
