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
import multiprocessing.heap as _mp_heap

__all__ = ["Arena", "BufferWrapper", "Heap"]

Arena = _mp_heap.Arena
Heap = _mp_heap.Heap


class BufferWrapper(_mp_heap.BufferWrapper):
    """BufferWrapper: ``size`` bytes of shared memory, zeroed, freed with this object."""

    def __init__(self, size: int) -> None:
        if not isinstance(size, int) or isinstance(size, bool):
            raise TypeError(f"BufferWrapper(size): size must be an int, not {size!r}")
        if size < 0:
            raise ValueError(f"BufferWrapper(size): size must be 0 or more, not {size}")
        super().__init__(size)

    def getView(self) -> memoryview:
        """A writable memoryview of the block (``create_memoryview``)."""
        return self.create_memoryview()

    def getSize(self) -> int:
        """The size of the block in bytes, as asked for."""
        size: int = self._state[1]  # type: ignore[attr-defined]
        return size

    def getAddress(self) -> int:
        """The block's address in this process, for ``ctype.from_address()``."""
        (arena, start, _stop), _size = self._state  # type: ignore[attr-defined]
        # The object exporting the buffer is dropped at once: the mmap stays resizable.
        return ctypes.addressof(ctypes.c_char.from_buffer(arena.buffer, start))

    get_view = getView
    get_size = getSize
    get_address = getAddress
