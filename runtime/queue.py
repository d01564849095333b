"""``processing.queue``: the name 0.52 gave its queue module (0.3x and today: ``queues``)."""

from __future__ import annotations

from .queues import BufferedQueue, Empty, Full, PipeQueue, Queue, SimpleQueue

__all__ = ["BufferedQueue", "Empty", "Full", "PipeQueue", "Queue", "SimpleQueue"]
