"""Output formats: one table, each format a module with `render(report, color) -> str`
(plus the keyword arguments of its `context`, below).

Kept light (no engine import): the CLI reads the table at start-up for its choices.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ecslint.engine import Report
    from ecslint.model import Finding, Severity


@dataclass(frozen=True)
class Format:
    """An output format and the commands that can write it."""

    name: str
    module: str  # ecslint.report.<module>
    human: bool  # for people (colour, statistics on stdout), not for machines
    commands: frozenset[str]  # the commands that can write it
    # What else its render() takes: "fail_on" (the --fail-on severity: which findings fail),
    # "fs" (the run's ecslint.cache.fsio.FileSystem, for a format that looks at the disk).
    context: frozenset[str] = frozenset()


_BOTH = frozenset({"check", "audit"})
FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("concise", "concise_format", True, _BOTH),
    Format("full", "full_format", True, _BOTH),
    Format("json", "json_format", False, _BOTH),
    Format("sarif", "sarif_format", False, _BOTH, frozenset({"fs"})),
    Format("junit", "junit_format", False, _BOTH, frozenset({"fail_on"})),
    Format("github", "github_format", False, _BOTH),
    Format("html", "html_format", False, frozenset({"audit"})),
)}


def names(command: str) -> tuple[str, ...]:
    """The formats `command` can write, in table order."""
    return tuple(f.name for f in FORMATS.values() if command in f.commands)


def render(report: Report, fmt: str, color: bool = False, **context) -> str:
    """`context`: the values a format may take (Format.context); each gets only its own."""
    spec = FORMATS[fmt]
    module = importlib.import_module(f"ecslint.report.{spec.module}")
    return module.render(report, color=color,
                         **{k: v for k, v in context.items() if k in spec.context})


def fails(finding: Finding, fail_on: Severity) -> bool:
    """Does this finding fail the run? At or above --fail-on; an input that could not be
    parsed (ECS001) always does (exit code 2)."""
    return finding.code == "ECS001" or finding.severity.rank >= fail_on.rank


def summary_line(report: Report) -> str:
    """`Found N findings (E errors, W warnings, I info).` exactly, as interface.md words it
    (scripts parse it), or `No findings.`; one finding is `Found 1 finding (1 error, 0
    warnings, 0 info).`, the one case where the plural read wrong."""
    counts = {s: 0 for s in ("error", "warning", "info")}
    for f in report.findings:
        counts[f.severity.value] += 1
    n = len(report.findings)
    if not n:
        return "No findings."
    if n == 1:
        error = "1 error" if counts["error"] else "0 errors"
        warning = "1 warning" if counts["warning"] else "0 warnings"
        return f"Found 1 finding ({error}, {warning}, {counts['info']} info)."
    return (f"Found {n} findings ({counts['error']} errors, {counts['warning']} warnings, "
            f"{counts['info']} info).")


def closing_lines(report: Report) -> list[str]:
    """The summary line that ends a report for people, or none at all after a run that
    could not check everything and found nothing: "No findings." would read as clean."""
    return [] if report.usage_errors and not report.findings else [summary_line(report)]
