"""``procrun check`` over the running Python's standard library: every finding is reviewed.

The standard library is a large body of correct code that uses multiprocessing in every way;
a finding there is either a false positive of the checker (to be fixed in the rules) or a
true positive listed, with its justification, in ``tests/data/stdlib_review.txt``.
"""

from __future__ import annotations

import os
import sysconfig
from collections import Counter
from pathlib import Path

from procrun.checker.runner import check_paths

REVIEW = Path(__file__).resolve().parent / "data" / "stdlib_review.txt"


def reviewed() -> Counter[tuple[str, str]]:
    """(relative path, code) -> how many findings the review list covers."""
    allowed: Counter[tuple[str, str]] = Counter()
    for line in REVIEW.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        location, code, justification = line.split(maxsplit=2)
        assert justification.strip(), line
        path, _, _line = location.rpartition(":")
        allowed[path, code] += 1
    return allowed


def test_every_finding_in_the_standard_library_is_reviewed() -> None:
    stdlib = sysconfig.get_paths()["stdlib"]
    report = check_paths([stdlib])
    files = [r for r in report.files if r.error is None]
    assert len(files) > 500, "the standard library was not found"
    found: Counter[tuple[str, str]] = Counter()
    where: dict[tuple[str, str], list[str]] = {}
    for finding in report.findings:
        relative = os.path.relpath(finding.path, stdlib).replace(os.sep, "/")
        found[relative, finding.code] += 1
        where.setdefault((relative, finding.code), []).append(
            f"{relative}:{finding.line} {finding.code}  {finding.message}"
        )
    allowed = reviewed()
    unreviewed = [
        line for key, count in found.items() if count > allowed[key] for line in where[key]
    ]
    assert not unreviewed, "not in tests/data/stdlib_review.txt:\n" + "\n".join(unreviewed)
    # Files procrun cannot read are errors, not findings: Python 2 and bad-syntax test data.
    for path, message in report.errors:
        relative = os.path.relpath(path, stdlib).replace(os.sep, "/")
        assert "test" in relative.split("/")[0] or "tests" in relative.split("/"), (
            f"{relative}: {message}"
        )
