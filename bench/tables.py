"""The markdown table that each benchmark script prints (and bench/run.py collects)."""

from __future__ import annotations

from collections.abc import Sequence


def markdown(columns: Sequence[str], rows: Sequence[dict[str, str]]) -> str:
    """``rows`` (each keyed by ``columns``) as a markdown table."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(row[column] for column in columns) + " |" for row in rows]
    return "\n".join(lines)
