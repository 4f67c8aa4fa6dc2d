"""One self-contained HTML page of an audit (charts of usage against limits): the audit's
own renderer, ecslint.audit.html_report."""

from __future__ import annotations

from typing import Any


def render(report: Any, color: bool = False) -> str:
    from ecslint.audit.html_report import render_html

    return render_html(report)
