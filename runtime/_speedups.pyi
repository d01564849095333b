"""Types of the optional C extension processing._speedups (source: _speedups.c)."""

from collections.abc import Callable
from typing import Any

def setup(array_type: type, fallback: Callable[[Any, Any, Any], None], /) -> None: ...
def install(cls: type, code: str, /) -> bool: ...
