"""Output formats: one table, each format a module with `render(report, color) -> str`.

Kept light (no engine import): the CLI reads the table at start-up for its choices.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ecslint.engine import Report


@dataclass(frozen=True)
class Format:
    """An output format and the commands that can write it."""

    name: str
    module: str  # ecslint.report.<module>
    human: bool  # for people (colour, statistics on stdout), not for machines
    commands: frozenset[str]  # the commands that can write it


_BOTH = frozenset({"check", "audit"})
FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("concise", "concise_format", True, _BOTH),
    Format("full", "full_format", True, _BOTH),
    Format("json", "json_format", False, _BOTH),
    Format("sarif", "sarif_format", False, _BOTH),
    Format("junit", "junit_format", False, _BOTH),
    Format("github", "github_format", False, _BOTH),
    Format("html", "html_format", False, frozenset({"audit"})),
)}


def names(command: str) -> tuple[str, ...]:
    """The formats `command` can write, in table order."""
    return tuple(f.name for f in FORMATS.values() if command in f.commands)


def render(report: Report, fmt: str, color: bool = False) -> str:
    module = importlib.import_module(f"ecslint.report.{FORMATS[fmt].module}")
    return module.render(report, color=color)


def summary_line(report: Report) -> str:
    counts = {s: 0 for s in ("error", "warning", "info")}
    for f in report.findings:
        counts[f.severity.value] += 1
    n = len(report.findings)
    if not n:
        return "No findings."
    # Literally the interface's wording, singular or not: scripts parse this line.
    return (f"Found {n} findings ({counts['error']} errors, {counts['warning']} warnings, "
            f"{counts['info']} info).")
