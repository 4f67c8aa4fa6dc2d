"""The audit's own output: text (a header line per region before the findings; usage and
stop tables, not verified, after them) and JSON."""

from __future__ import annotations

from typing import Any

from ecslint.audit.aws import NotVerified
from ecslint.audit.metrics import ServiceMetrics
from ecslint.audit.regions import Header, RegionAudit
from ecslint.audit.stops import CAUSES, ServiceStops, iso
from ecslint.audit.usage import SOURCES, ContainerUsage, Measure, ServiceUsage
from ecslint.audit.usage_findings import peaks_dict, peaks_text, stop_peaks
from ecslint.model import is_unknown

__all__ = ["Header", "attach", "not_verified_block", "stop_table", "usage_table"]


def _measure(value: Any, digits: int, unit: str) -> str:
    if is_unknown(value):
        return "not verified"
    if value is None:
        return "no data"
    return f"{round(value, digits):g}{unit}"


def _percent(value: Any) -> str:
    return _measure(value, 1, "%")


def _seconds(value: Any) -> str:
    return _measure(value, 3, " s")


def _metrics_text(metrics: ServiceMetrics) -> str:
    parts = [f"max CPU {_percent(metrics.max_cpu)}",
             f"max memory {_percent(metrics.max_memory)}"]
    for rt in metrics.response_times:
        tg = rt.target_group.rsplit(":", 1)[-1].split("/")[1] \
            if "targetgroup/" in rt.target_group else rt.target_group
        parts.append(f"max TargetResponseTime {_seconds(rt.max_seconds)} ({tg})")
    return ", ".join(parts)


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    """Rows padded to their columns; the last column is not padded."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    return ["  " + "  ".join([c.ljust(w) for c, w in zip(r[:-1], widths, strict=True)]
                             + [r[-1]]).rstrip() for r in rows]


def stop_table(result: ServiceStops, metrics: ServiceMetrics,
               usage: ServiceUsage | None = None) -> str:
    title = f"Stopped tasks of {result.service.label} ({_metrics_text(metrics)})"
    if not result.verified:
        note = "NOT VERIFIED: the stopped tasks could not be read (see Not verified)"
        if not result.stops:
            return f"{title}: {note}."
        title += f" [{note}]"
    if not result.stops:
        return f"{title}: none in the window."
    rows = [("STOPPED AT", "TASK", "CAUSE", "DETAIL")]
    for s in result.stops:
        seen = peaks_text(stop_peaks(usage, s))
        rows.append((iso(s.stopped_at) or "-", s.task or "-",
                     CAUSES[s.cause] + (" (event)" if s.source == "event" else ""),
                     s.detail + (f"; {seen}" if seen else "")))
    return "\n".join([f"{title}:"] + _table(rows))


# ------------------------------------------------------------------ usage

def _peak(m: Measure, unit: str) -> str:
    if is_unknown(m.peak):
        return "not verified"
    if m.peak is None:
        return "no data"
    return f"{round(m.peak, 1):g} {unit}"


def _against(m: Measure, unit: str, setting: str) -> str:
    if m.limit is None:
        return "no limit"
    of = f"{round(m.limit, 1):g} {unit} ({m.limit_of}" + \
        (f" {setting})" if m.limit_of in ("container", "task") else ")")
    percent = m.percent
    return f"{round(percent, 1):g}% of {of}" if percent is not None else f"of {of}"


def _source(row: ContainerUsage) -> str:
    def one(m: Measure) -> str:
        return SOURCES[m.source][0] if m.source else (m.reason or "no data")
    memory, cpu = one(row.memory), one(row.cpu)
    return memory if memory == cpu else f"memory: {memory}; CPU: {cpu}"


def _row(label: str, row: ContainerUsage) -> tuple[str, ...]:
    return (label, _peak(row.memory, "MiB"), _against(row.memory, "MiB", "memory"),
            _peak(row.cpu, "units"), _against(row.cpu, "units", "cpu"), _source(row))


def usage_table(usage: ServiceUsage) -> str:
    """Per container: peak memory against its limit, peak CPU against its share, the source."""
    title = f"Usage of {usage.service.label} against its limits (peaks in the window"
    title += f"; limits of revision {usage.revision})" if usage.revision else ")"
    if not usage.containers:
        return f"{title}: unknown ({usage.not_verified or 'no containers'})."
    rows = [("CONTAINER", "MEMORY PEAK", "OF ITS LIMIT", "CPU PEAK", "OF ITS SHARE", "SOURCE")]
    rows += [_row(r.name if isinstance(r.name, str) else "?", r) for r in usage.containers]
    if usage.task is not None:
        rows.append(_row("(task)", usage.task))
    for task in usage.tasks:
        rows += [_row(f"task {(task.stop.task or '')[:8]}/{r.name}", r) for r in task.containers
                 if not (r.memory.peak is None and r.cpu.peak is None)]
    lines = [f"{title}:"] + _table(rows)
    if usage.not_verified:
        lines.append(f"  ECS906/ECS907 not verified: no per-container metrics "
                     f"({usage.not_verified}).")
    return "\n".join(lines)


def not_verified_block(entries: list[NotVerified]) -> str:
    lines = ["Not verified (these calls failed, so what they cover was not checked; it is "
             "not passing):"]
    for e in entries:
        lines.append(f"  {e.action}: {e.what}: {e.error}")
    return "\n".join(lines)


# ------------------------------------------------------------------ the report

def _header(audit: RegionAudit) -> str:
    line = audit.header.line(audit.live)
    if audit.live.missing:
        line += f" Not found (--allow-empty): {', '.join(audit.live.missing)}."
    return line


def _blocks(audit: RegionAudit) -> list[str]:
    blocks = []
    usage = {u.service.service.address: u for u in audit.usage}
    for result in audit.stopped:
        arn = result.service.service.address
        if arn in usage:
            blocks.append(usage_table(usage[arn]))
        blocks.append(stop_table(result, audit.metrics[arn], usage.get(arn)))
    if audit.not_verified:
        blocks.append(not_verified_block(audit.not_verified))
    return blocks


def _keys(audit: RegionAudit, qualify: bool) -> dict[str, list[dict[str, Any]]]:
    region = {"region": audit.region} if qualify else {}
    usage = {u.service.service.address: u for u in audit.usage}
    return {
        "stopped_tasks": [{
            **region, "cluster": r.service.cluster, "service": r.service.service.name,
            "service_arn": r.service.service.address, "verified": r.verified,
            "stops": [{**s.as_dict(), "peaks": peaks_dict(stop_peaks(
                usage.get(r.service.service.address), s))} for s in r.stops]}
            for r in audit.stopped],
        "metrics": [{
            **region, "cluster": s.cluster, "service": s.service.name,
            "service_arn": s.service.address, **audit.metrics[s.service.address].as_dict()}
            for s in audit.live.services],
        "usage": [{**region, **u.as_dict()} for u in audit.usage],
        "not_verified": [{**region, **e.as_dict()} for e in audit.not_verified],
    }


def _summary(audit: RegionAudit) -> dict[str, int]:
    counts = {s: 0 for s in ("error", "warning", "info")}
    for f in audit.findings:
        counts[f.severity.value] += 1
    return {"findings": len(audit.findings), **counts}


def attach(report: Any, audits: list[RegionAudit]) -> None:
    """Fills report.sections (text) and report.extra (JSON keys). One region: the keys of
    earlier versions with the same content. Several: the same keys over all of them, each
    entry with its `region`. `regions` lists each region's header and finding counts."""
    qualify = len(audits) > 1
    # What was audited comes first, one line per region; the tables follow the findings,
    # under the region's name when there are several.
    report.header = [_header(a) for a in audits] + [""]
    sections = [""] if report.findings else []
    for audit in audits:
        blocks = _blocks(audit)
        if blocks and qualify:
            blocks.insert(0, f"Region {audit.region}:")
        for block in blocks:
            sections += [block, ""]
    report.sections = sections
    keys = [_keys(a, qualify) for a in audits]
    if qualify:
        first, heads = audits[0].header, [a.header.as_dict(a.live, True) for a in audits]
        window = first.as_dict(audits[0].live)
        audit = {"account": first.account, "region": None,
                 "regions": [a.region for a in audits], "endpoint": first.endpoint,
                 "since": first.since, "window_start": window["window_start"],
                 "window_end": window["window_end"],
                 "clusters": [c for h in heads for c in h["clusters"]],
                 "services": [s for h in heads for s in h["services"]]}
    else:
        audit = audits[0].header.as_dict(audits[0].live)
    report.extra = {"audit": audit,
                    **{k: [entry for one in keys for entry in one[k]] for k in keys[0]},
                    "regions": [{"region": a.region, "audit": a.header.as_dict(a.live),
                                 "summary": _summary(a)} for a in audits]}
