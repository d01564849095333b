"""Findings as text (plain or rich), JSON, SARIF 2.1.0 and GitHub annotations.

Renderers know nothing about the rules: what they show of a rule (name, summary, help)
comes in as :class:`RuleText` records. Each returns a string; printing is the CLI's job.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from procrun.checker.engine import Finding

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/procrun/procrun#procrun-check"


@dataclass(frozen=True)
class RuleText:
    """What a renderer may show about a rule."""

    code: str
    name: str
    summary: str
    help: str
    fixable: bool = False


SourceLine = Callable[[Finding], "str | None"]


def _no_line(finding: Finding) -> str | None:
    return None


def text(findings: Sequence[Finding], source_line: SourceLine = _no_line) -> str:
    """``path:line:col CODE message``, then the source line and a caret under the column."""
    out: list[str] = []
    for finding in findings:
        out.append(f"{finding.path}:{finding.line}:{finding.col} {finding.code} {finding.message}")
        line = source_line(finding)
        if line is not None:
            shown = line.expandtabs(1).rstrip()
            out.append(f"    {shown}")
            out.append("    " + " " * min(finding.col - 1, len(shown)) + "^")
    if findings:
        out.append(summary(findings))
    return "\n".join(out) + ("\n" if out else "")


def summary(findings: Sequence[Finding]) -> str:
    files = len({f.path for f in findings})
    noun = "finding" if len(findings) == 1 else "findings"
    where = "file" if files == 1 else "files"
    return f"Found {len(findings)} {noun} in {files} {where}."


def print_rich(findings: Sequence[Finding], source_line: SourceLine = _no_line) -> None:
    """The text format, styled, on the terminal (rich is imported only here)."""
    from rich.console import Console
    from rich.markup import escape

    console = Console(highlight=False, soft_wrap=True)
    for finding in findings:
        console.print(
            f"[bold]{escape(finding.path)}[/]:{finding.line}:{finding.col} "
            f"[bold red]{finding.code}[/] {escape(finding.message)}"
        )
        line = source_line(finding)
        if line is not None:
            shown = line.expandtabs(1).rstrip()
            caret = " " * min(finding.col - 1, len(shown)) + "^"
            console.print(f"    [dim]{escape(shown)}[/]")
            console.print(f"    [bold red]{caret}[/]")
    if findings:
        console.print(f"[bold]{summary(findings)}[/]")


def as_json(findings: Sequence[Finding], rules: Iterable[RuleText]) -> str:
    """A JSON array, one object per finding."""
    names = {r.code: r for r in rules}
    items = [
        {
            "code": f.code,
            "name": names[f.code].name if f.code in names else None,
            "message": f.message,
            "path": f.path,
            "line": f.line,
            "column": f.col,
            "fixable": names[f.code].fixable if f.code in names else False,
        }
        for f in findings
    ]
    return json.dumps(items, indent=2) + "\n"


def sarif(findings: Sequence[Finding], rules: Sequence[RuleText], version: str) -> str:
    """A SARIF 2.1.0 log with one run: the tool's rules and the results."""
    index = {r.code: i for i, r in enumerate(rules)}
    results = []
    for f in findings:
        result: dict[str, object] = {
            "ruleId": f.code,
            "level": "error",
            "message": {"text": f.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(f.path)},
                        "region": {"startLine": f.line, "startColumn": f.col},
                    }
                }
            ],
        }
        if f.code in index:
            result["ruleIndex"] = index[f.code]
        results.append(result)
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "procrun",
                        "version": version,
                        "informationUri": INFORMATION_URI,
                        "rules": [
                            {
                                "id": r.code,
                                "name": r.name,
                                "shortDescription": {"text": r.summary},
                                "fullDescription": {"text": r.help},
                                "help": {"text": r.help},
                                "defaultConfiguration": {"level": "error"},
                                "properties": {"fixable": r.fixable},
                            }
                            for r in rules
                        ],
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2) + "\n"


def _uri(path: str) -> str:
    """A relative path stays relative (SARIF viewers resolve it against the checkout)."""
    from pathlib import Path  # SARIF output only: not paid by every run
    from urllib.parse import quote

    if os.path.isabs(path):
        return Path(path).as_uri()
    uri = quote(path.replace("\\", "/"))
    return uri[2:] if uri.startswith("./") else uri


def github(findings: Sequence[Finding]) -> str:
    """GitHub Actions workflow commands: ``::error file=...,line=...,col=...,title=...::...``."""
    lines = [
        f"::error file={_property(f.path)},line={f.line},col={f.col},"
        f"title={_property(f.code)}::{_data(f.message)}"
        for f in findings
    ]
    return "".join(line + "\n" for line in lines)


def _data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(value: str) -> str:
    return _data(value).replace(":", "%3A").replace(",", "%2C")
