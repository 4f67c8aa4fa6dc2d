"""Concise lines plus severity, rule name, resource, container and the doc link."""

from __future__ import annotations

from ecslint.engine import Report
from ecslint.report import closing_lines
from ecslint.report.concise_format import distinct_messages, line


def _where(r) -> str:
    return ":".join([r.file] + [str(n) for n in (r.line, r.column) if n is not None])


def render(report: Report, color: bool = False) -> str:
    out = list(report.header)
    for f, message in zip(report.findings, distinct_messages(report.findings), strict=True):
        out.append(line(f, color, message))
        details = [f"{f.severity.value} {f.name}"]
        if f.resource:
            details.append(f"resource {f.resource}")
        if f.container:
            details.append(f"container {f.container}")
        out.append("    " + ", ".join(details))
        for r in f.related:
            out.append(f"    note: {_where(r)}: {r.message}")
        if f.url:
            out.append(f"    see {f.url}")
        out.append("")
    out += report.sections
    out += closing_lines(report)
    return "".join(ln + "\n" for ln in out)
