"""Each example the README shows runs, under every start method."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import assert_ok, out, run_procrun

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_hello(start_method: str) -> None:
    result = run_procrun(EXAMPLES / "hello.py", start_method=start_method)
    assert_ok(result)
    assert out(result) == "hello\n"


@pytest.mark.parametrize("n", [5])
def test_pool(start_method: str, n: int) -> None:
    result = run_procrun(EXAMPLES / "pool.py", str(n), start_method=start_method)
    assert_ok(result)
    assert out(result) == "weighting 5 items with 4 workers\n[0.0, 0.5, 0.667, 0.75, 0.8]\n"


def test_proxies(start_method: str) -> None:
    result = run_procrun(EXAMPLES / "proxies.py", start_method=start_method)
    assert_ok(result)
    assert out(result) == (
        "a copy of the proxy: 50\nchild 1: 50\nchild 2: 50\n"
        "shared proxy, locked: 50\nshared proxy, locked too: 50\n"
    )
