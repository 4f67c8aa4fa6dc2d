"""`path:line:col: CODE message`, then a summary line."""

from __future__ import annotations

from collections import Counter

from ecslint.engine import Report
from ecslint.model import Finding, Severity
from ecslint.report import closing_lines

_COLORS = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m", Severity.INFO: "\033[36m"}


def position(f: Finding) -> str:
    if f.line is None:
        return f.file
    return f"{f.file}:{f.line}:{f.column or 1}"


def distinct_messages(findings: list[Finding]) -> list[str]:
    """Each finding's message; one that would print the same line as another (the same
    place in a module called twice, or in a `for_each` resource) names its resource."""
    def key(f: Finding) -> tuple:
        return (f.file, f.line, f.column, f.code, f.message)

    counts = Counter(map(key, findings))
    return [f"{f.message} (in {f.resource})" if counts[key(f)] > 1 and f.resource
            else f.message for f in findings]


def line(f: Finding, color: bool = False, message: str | None = None) -> str:
    """`path:line:col: CODE message`; `message` replaces the finding's own."""
    code = f"{_COLORS[f.severity]}{f.code}\033[0m" if color else f.code
    where = f"\033[1m{position(f)}\033[0m" if color else position(f)
    return f"{where}: {code} {f.message if message is None else message}"


def render(report: Report, color: bool = False) -> str:
    lines = report.header + [line(f, color, message) for f, message in
                             zip(report.findings, distinct_messages(report.findings),
                                 strict=True)]
    lines += report.sections
    lines += closing_lines(report)
    return "".join(ln + "\n" for ln in lines)
