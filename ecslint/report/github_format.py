"""GitHub Actions workflow commands: one annotation per finding."""

from __future__ import annotations

from ecslint.engine import Report
from ecslint.model import Severity
from ecslint.report.concise_format import distinct_messages

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_prop(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(report: Report, color: bool = False) -> str:
    out = []
    for f, message in zip(report.findings, distinct_messages(report.findings), strict=True):
        props = [f"file={_escape_prop(f.file)}"]
        if f.line is not None:
            props.append(f"line={f.line}")
            props.append(f"col={f.column or 1}")
        props.append(f"title={f.code}")
        out.append(f"::{_LEVEL[f.severity]} {','.join(props)}::{_escape_data(message)}")
    return "\n".join(out) + ("\n" if out else "")
