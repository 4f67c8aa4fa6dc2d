"""`path:line:col: CODE message`, then a summary line."""

from __future__ import annotations

from ecslint.engine import Report
from ecslint.model import Finding, Severity
from ecslint.report import closing_lines

_COLORS = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m", Severity.INFO: "\033[36m"}


def position(f: Finding) -> str:
    if f.line is None:
        return f.file
    return f"{f.file}:{f.line}:{f.column or 1}"


def line(f: Finding, color: bool = False) -> str:
    code = f"{_COLORS[f.severity]}{f.code}\033[0m" if color else f.code
    where = f"\033[1m{position(f)}\033[0m" if color else position(f)
    return f"{where}: {code} {f.message}"


def render(report: Report, color: bool = False) -> str:
    lines = [line(f, color) for f in report.findings]
    lines += report.sections
    lines += closing_lines(report)
    return "".join(ln + "\n" for ln in lines)
