"""The JSON document of interface.md (keys may be added, never removed)."""

from __future__ import annotations

import json

from ecslint import __version__
from ecslint.engine import Report


def document(report: Report) -> dict:
    counts = {s: 0 for s in ("error", "warning", "info")}
    for f in report.findings:
        counts[f.severity.value] += 1
    doc = {
        "version": __version__,
        "findings": [{
            "code": f.code, "name": f.name, "severity": f.severity.value, "message": f.message,
            "file": f.file, "line": f.line, "column": f.column, "resource": f.resource,
            "container": f.container, "url": f.url,
            "related": [{"file": r.file, "line": r.line, "column": r.column,
                         "message": r.message} for r in f.related],
        } for f in report.findings],
        "summary": {"files": report.files, "findings": len(report.findings), **counts},
    }
    doc.update(report.extra)
    return doc


def render(report: Report, color: bool = False) -> str:
    return json.dumps(document(report), indent=2) + "\n"
