"""Output formats. Each module has `render(report, color) -> str`."""

from __future__ import annotations

import importlib

from ecslint.engine import Report

FORMATS = ("concise", "full", "json", "sarif", "junit", "github")


def render(report: Report, fmt: str, color: bool = False) -> str:
    module = importlib.import_module(f"ecslint.report.{fmt}_format")
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
