"""Types of the optional C extension processing._speedups (source: _speedups.c)."""

from collections.abc import Callable
from typing import Any

def setup(
    array_type: type,
    fallback: Callable[[Any, Any, Any], None],
    probe: Any = None,
    address: int = 0,
    length: int = 0,
    /,
) -> bool: ...
def install(cls: type, code: str, /) -> bool: ...
