"""`ecslint audit --format html`: one self-contained page, usage drawn against the limits.

No scripts, stylesheets, fonts or images are loaded from anywhere: the charts are inline SVG
and the style sheet is inline, so the file opens the same offline, as a CI artefact or mailed.
Every chart's `<svg>` carries its scale (`data-t0`, `data-t1` in epoch seconds, `data-ymax`,
and the plot area `data-plot="x0 y0 x1 y1"`), so a reader (or a test) can turn any point or
line back into a time and a value.
"""

from __future__ import annotations

import html
import math
from datetime import datetime
from typing import Any, Iterable

from ecslint import __version__
from ecslint.audit.regions import RegionAudit
from ecslint.audit.stops import CAUSES, ServiceStops, Stop, iso
from ecslint.audit.usage import SOURCES, ContainerUsage, Measure, ServiceUsage
from ecslint.audit.usage_findings import peaks_text, stop_peaks
from ecslint.checks.common import is_number
from ecslint.model import Finding
from ecslint.report import summary_line

WIDTH, HEIGHT = 560, 190
PLOT = (56, 14, WIDTH - 12, HEIGHT - 34)  # x0, y0, x1, y1 of the plot area

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2433;
background:#f6f7f9}
header{background:#1d2433;color:#fff;padding:16px 28px}
header h1{margin:0 0 4px;font-size:20px}
header p{margin:2px 0;color:#c9d1e0;font-size:13px}
main{padding:8px 28px 40px}
h2{font-size:17px;margin:26px 0 6px}
section.service{background:#fff;border:1px solid #dde1e8;border-radius:8px;margin:14px 0;
padding:12px 18px}
section.service h3{margin:2px 0 8px;font-size:16px}
.findings{list-style:none;padding:0;margin:0 0 10px}
.findings li{font-size:13px;margin:3px 0;padding:4px 8px;border-left:4px solid #999;
background:#fafbfc}
.findings li.error{border-color:#c62828}.findings li.warning{border-color:#ef8f00}
.findings li.info{border-color:#1e88e5}
.findings b{font-family:ui-monospace,monospace;margin-right:6px}
.charts{display:flex;flex-wrap:wrap;gap:10px}
figure{margin:0;border:1px solid #eceff3;border-radius:6px;padding:6px}
figcaption{font-size:12px;color:#3b4456;max-width:560px}
table{border-collapse:collapse;font-size:12px;margin:8px 0}
th,td{text-align:left;padding:3px 8px;border-bottom:1px solid #eceff3;vertical-align:top}
th{color:#5b6476;font-weight:600}
.note{font-size:12px;color:#6b7385}
svg text{font-size:10px;fill:#5b6476}
svg .axis{stroke:#9aa3b2;stroke-width:1}
svg .grid{stroke:#eceff3;stroke-width:1}
svg .series{fill:none;stroke:#1e63d6;stroke-width:1.6}
svg .point{fill:#1e63d6}
svg .limit{stroke:#c62828;stroke-width:1.5;stroke-dasharray:6 3}
svg .task-limit{stroke:#8e99ab;stroke-width:1;stroke-dasharray:2 3}
svg .stop line{stroke:#6a1b9a;stroke-width:1.2}
svg .stop text{fill:#6a1b9a;font-weight:600}
svg .nodata{font-size:12px;fill:#8e99ab}
"""


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _n(value: float) -> str:
    return f"{round(value, 1):g}"


def render_html(report: Any) -> str:
    audits: list[RegionAudit] = report.audits
    first = audits[0].header if audits else None
    title = "ecslint audit" + (f" of account {first.account}" if first and first.account else "")
    regions = ", ".join(a.region for a in audits)
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
             f"<header><h1>{_e(title)}</h1>"]
    if first:
        parts.append(f"<p>Region{'s' if len(audits) > 1 else ''} {_e(regions)}; window "
                     f"{_e(first.since)} ({_e(iso(first.start))} to {_e(iso(first.end))})</p>")
    parts.append(f"<p>{_e(summary_line(report))} ecslint {_e(__version__)}.</p></header><main>")
    for message in report.usage_errors:
        parts.append(f'<p class="note">Error: {_e(message)}</p>')
    for audit in audits:
        parts += _region(audit, report.findings)
    parts.append("</main></body></html>")
    return "\n".join(parts) + "\n"


def _region(audit: RegionAudit, findings: list[Finding]) -> list[str]:
    out = [f'<section class="region" data-region="{_e(audit.region)}">',
           f"<h2>Region {_e(audit.region)}</h2>",
           f'<p class="note">{_e(audit.header.line(audit.live))}</p>']
    usage = {u.service.service.address: u for u in audit.usage}
    claimed: set[int] = set()
    for result in audit.stopped:
        arn = result.service.service.address
        mine = _findings_of(result, findings)
        claimed.update(id(f) for f in mine)
        out += _service(result, usage.get(arn), mine, audit)
    rest = [f for f in findings if id(f) not in claimed and _in_region(f, audit.region)]
    if rest:
        out.append('<section class="service"><h3>Other findings</h3>')
        out += _finding_list(rest)
        out.append("</section>")
    if audit.not_verified:
        out.append('<section class="service"><h3>Not verified</h3><ul class="findings">')
        out += [f'<li class="error"><b>{_e(e.action)}</b>{_e(e.what)}: {_e(e.error)}</li>'
                for e in audit.not_verified]
        out.append("</ul></section>")
    out.append("</section>")
    return out


def _in_region(finding: Finding, region: str) -> bool:
    return f":{region}:" in (finding.file or "")


def _findings_of(result: ServiceStops, findings: list[Finding]) -> list[Finding]:
    svc = result.service.service
    mine = {svc.address, result.service.task_definition_arn}
    mine.update(lb.target_group.address for lb in svc.load_balancers if lb.target_group)
    return [f for f in findings if f.file in mine or f.resource in mine]


def _finding_list(findings: Iterable[Finding]) -> list[str]:
    items = [f'<li class="{_e(f.severity.value)}"><b>{_e(f.code)}</b>{_e(f.message)}</li>'
             for f in findings]
    return ['<ul class="findings">', *items, "</ul>"] if items else []


def _service(result: ServiceStops, usage: ServiceUsage | None, findings: list[Finding],
             audit: RegionAudit) -> list[str]:
    label = result.service.label
    out = [f'<section class="service" data-service="{_e(label)}">', f"<h3>{_e(label)}</h3>"]
    out += _finding_list(findings)
    if usage is not None and usage.containers:
        out.append('<div class="charts">')
        for row in usage.containers:
            for kind in ("memory", "cpu"):
                out.append(_chart(usage, row, kind, result.stops, audit))
        out.append("</div>")
        out += _usage_table(usage)
    elif usage is not None:
        out.append(f'<p class="note">Usage unknown: {_e(usage.not_verified or "")}</p>')
    out += _stop_table(result, usage)
    out.append("</section>")
    return out


# ------------------------------------------------------------------ charts

def _nice(value: float) -> float:
    """A round axis maximum at or above value: 1, 2, 2.5 or 5 times a power of ten."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if value <= m * magnitude)


def _chart(usage: ServiceUsage, row: ContainerUsage, kind: str, stops: list[Stop],
           audit: RegionAudit) -> str:
    m: Measure = getattr(row, kind)
    unit = "MiB" if kind == "memory" else "CPU units"
    td = usage.service.service.task_definition
    task = (td.memory if kind == "memory" else td.cpu) if td else None
    task = task if is_number(task) and m.limit_of == "container" and task != m.limit else None
    t0, t1 = audit.header.start.timestamp(), audit.header.end.timestamp()
    top = max([v for _, v in m.series] + [x for x in (m.limit, task) if is_number(x)] + [1.0])
    ymax = _nice(top * 1.08)
    x0, y0, x1, y1 = PLOT

    def x(when: datetime) -> float:
        return round(x0 + (when.timestamp() - t0) / (t1 - t0) * (x1 - x0), 2)

    def y(value: float) -> float:
        return round(y1 - value / ymax * (y1 - y0), 2)

    what = "memory" if kind == "memory" else "CPU"
    limit_name = f"{m.limit_of} {'memory' if kind == 'memory' else 'cpu'}" \
        if m.limit_of in ("container", "task") else (m.limit_of or "no limit")
    caption = f"{row.name}: {what} ({unit})"
    if is_number(m.limit):
        caption += f" against its limit, {limit_name} {_n(m.limit)}"
    if is_number(m.peak):
        caption += f"; peak {_n(m.peak)}" + (f" ({_n(m.percent)}%)" if m.percent is not None
                                             else "")
    caption += f"; source: {SOURCES[m.source][1][kind]}" if m.source else \
        f"; {m.reason or 'no data'}"
    svg = [f'<svg width="{WIDTH}" height="{HEIGHT}" '
           f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" data-t0="{t0:.0f}" data-t1="{t1:.0f}" '
           f'data-ymax="{ymax:g}" data-plot="{x0} {y0} {x1} {y1}">',
           f"<title>{_e(caption)}</title>"]
    for i in range(5):
        value = ymax * i / 4
        svg.append(f'<line class="grid" x1="{x0}" x2="{x1}" y1="{y(value)}" y2="{y(value)}"/>'
                   f'<text x="{x0 - 4}" y="{y(value) + 3}" text-anchor="end">{value:g}</text>')
    svg.append(f'<line class="axis" x1="{x0}" x2="{x1}" y1="{y1}" y2="{y1}"/>'
               f'<line class="axis" x1="{x0}" x2="{x0}" y1="{y0}" y2="{y1}"/>')
    for i in range(5):
        when = datetime.fromtimestamp(t0 + (t1 - t0) * i / 4, audit.header.start.tzinfo)
        anchor = "start" if i == 0 else "end" if i == 4 else "middle"
        svg.append(f'<text x="{x(when)}" y="{y1 + 14}" text-anchor="{anchor}">'
                   f'{_e(when.strftime("%m-%d %H:%M"))}</text>')
    if task is not None:
        svg.append(f'<line class="task-limit" x1="{x0}" x2="{x1}" y1="{y(task)}" '
                   f'y2="{y(task)}" data-value="{task:g}"/>'
                   f'<text x="{x1 - 2}" y="{y(task) - 3}" text-anchor="end">task '
                   f'{"memory" if kind == "memory" else "cpu"} {_n(task)}</text>')
    if is_number(m.limit):
        svg.append(f'<line class="limit" x1="{x0}" x2="{x1}" y1="{y(m.limit)}" '
                   f'y2="{y(m.limit)}" data-value="{m.limit:g}" data-of="{_e(m.limit_of)}"/>'
                   f'<text x="{x1 - 2}" y="{y(m.limit) - 3}" text-anchor="end">'
                   f'{_e(limit_name)} {_n(m.limit)}</text>')
    if m.series:
        points = " ".join(f"{x(t)},{y(v)}" for t, v in m.series)
        svg.append(f'<polyline class="series" points="{points}"/>')
        svg += [f'<circle class="point" cx="{x(t)}" cy="{y(v)}" r="1.6"/>' for t, v in m.series
                if len(m.series) <= 120]
    else:
        svg.append(f'<text class="nodata" x="{(x0 + x1) / 2}" y="{(y0 + y1) / 2}" '
                   f'text-anchor="middle">{_e(m.reason or "no data")}</text>')
    n = 0
    for stop in stops:
        when = stop.stopped_at
        if isinstance(when, datetime) and t0 <= when.timestamp() <= t1:
            label = CAUSES[stop.cause]
            svg.append(f'<g class="stop" data-cause="{_e(stop.cause)}" '
                       f'data-task="{_e(stop.task or "")}" data-time="{when.timestamp():.0f}">'
                       f"<title>{_e(iso(when))} {_e(stop.task or '')}: {_e(stop.detail)}</title>"
                       f'<line x1="{x(when)}" x2="{x(when)}" y1="{y0}" y2="{y1}"/>'
                       f'{_label(x(when), y0 + 9 + 11 * (n % 3), label, x1)}</g>')
            n += 1
    svg.append("</svg>")
    return (f'<figure class="chart" data-container="{_e(row.name)}" data-metric="{kind}" '
            f'data-source="{_e(m.source or "")}">{"".join(svg)}'
            f"<figcaption>{_e(caption)}</figcaption></figure>")


def _label(at: float, top: float, text: str, right: float) -> str:
    """A label beside a vertical line: on its right, or on its left near the right edge."""
    if at + 6 * len(text) > right:
        return f'<text x="{at - 3}" y="{top}" text-anchor="end">{_e(text)}</text>'
    return f'<text x="{at + 3}" y="{top}">{_e(text)}</text>'


# ------------------------------------------------------------------ tables

def _cell(m: Measure, unit: str) -> str:
    if not is_number(m.peak):
        return _e(m.reason or "no data")
    text = f"{_n(m.peak)} {unit}"
    if m.percent is not None:
        text += f" = {_n(m.percent)}% of {_n(m.limit)} ({m.limit_of})"
    return _e(text)


def _usage_table(usage: ServiceUsage) -> list[str]:
    rows = [(r.name, r) for r in usage.containers]
    if usage.task is not None:
        rows.append(("(task)", usage.task))
    for task in usage.tasks:
        rows += [(f"task {task.stop.task}/{r.name}", r) for r in task.containers
                 if is_number(r.memory.peak) or is_number(r.cpu.peak)]
    out = ['<table class="usage"><tr><th>container</th><th>memory peak</th><th>CPU peak</th>'
           "<th>source</th></tr>"]
    for name, r in rows:
        sources = {SOURCES[m.source][0] for m in (r.memory, r.cpu) if m.source}
        out.append(f"<tr><td>{_e(name)}</td><td>{_cell(r.memory, 'MiB')}</td>"
                   f"<td>{_cell(r.cpu, 'units')}</td><td>{_e('; '.join(sorted(sources)))}</td>"
                   "</tr>")
    out.append("</table>")
    if usage.not_verified:
        out.append(f'<p class="note">ECS906/ECS907 not verified: no per-container metrics '
                   f"({_e(usage.not_verified)}).</p>")
    return out


def _stop_table(result: ServiceStops, usage: ServiceUsage | None) -> list[str]:
    if not result.stops:
        note = "could not be read" if not result.verified else "none in the window"
        return [f'<p class="note">Stopped tasks: {note}.</p>']
    out = ['<table class="stops"><tr><th>stopped at</th><th>task</th><th>cause</th>'
           "<th>detail</th></tr>"]
    for s in result.stops:
        seen = peaks_text(stop_peaks(usage, s))
        out.append(f"<tr><td>{_e(iso(s.stopped_at) or '-')}</td><td>{_e(s.task or '-')}</td>"
                   f"<td>{_e(CAUSES[s.cause])}</td><td>{_e(s.detail)}"
                   f"{'<br><b>' + _e(seen) + '</b>' if seen else ''}</td></tr>")
    out.append("</table>")
    return out
