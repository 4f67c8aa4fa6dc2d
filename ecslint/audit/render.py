"""The audit's own output: text sections (header, stop tables, not verified) and JSON keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ecslint.audit.aws import NotVerified
from ecslint.audit.live_model import Live
from ecslint.audit.metrics import ServiceMetrics
from ecslint.audit.stops import CAUSES, ServiceStops, iso
from ecslint.model import is_unknown


@dataclass
class Header:
    account: str | None
    region: str
    endpoint: str | None  # shown only when it is not AWS's own (AWS_ENDPOINT_URL)
    since: str
    start: datetime
    end: datetime

    def as_dict(self, live: Live) -> dict[str, Any]:
        return {"account": self.account, "region": self.region, "endpoint": self.endpoint,
                "since": self.since, "window_start": iso(self.start),
                "window_end": iso(self.end), "clusters": [c.name for c in live.clusters],
                "services": [s.label for s in live.services]}

    def line(self, live: Live) -> str:
        where = f"account {self.account or 'unknown'}, region {self.region}"
        if self.endpoint:
            where += f", endpoint {self.endpoint}"
        n_clusters, n_services = len(live.clusters), len(live.services)
        return (f"Live audit of {where}; window {self.since} ({iso(self.start)} to "
                f"{iso(self.end)}); {n_clusters} cluster{'' if n_clusters == 1 else 's'}, "
                f"{n_services} service{'' if n_services == 1 else 's'}.")


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


def stop_table(result: ServiceStops, metrics: ServiceMetrics) -> str:
    title = f"Stopped tasks of {result.service.label} ({_metrics_text(metrics)})"
    if not result.verified:
        note = "NOT VERIFIED: the stopped tasks could not be read (see Not verified)"
        if not result.stops:
            return f"{title}: {note}."
        title += f" [{note}]"
    if not result.stops:
        return f"{title}: none in the window."
    rows = [("STOPPED AT", "TASK", "CAUSE", "DETAIL")]
    rows += [(iso(s.stopped_at) or "-", s.task or "-",
              CAUSES[s.cause] + (" (event)" if s.source == "event" else ""), s.detail)
             for s in result.stops]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [f"{title}:"]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)]
        lines.append("  " + "  ".join(cells + [row[3]]))
    return "\n".join(lines)


def not_verified_block(entries: list[NotVerified]) -> str:
    lines = ["Not verified (these calls failed, so what they cover was not checked; it is "
             "not passing):"]
    for e in entries:
        lines.append(f"  {e.action}: {e.what}: {e.error}")
    return "\n".join(lines)


def attach(report: Any, header: Header, live: Live, stops: list[ServiceStops],
           metrics: dict[str, ServiceMetrics], not_verified: list[NotVerified]) -> None:
    """Fills report.sections (text) and report.extra (JSON keys)."""
    blocks = [header.line(live)]
    blocks += [stop_table(r, metrics[r.service.service.address]) for r in stops]
    if not_verified:
        blocks.append(not_verified_block(not_verified))
    sections = [""] if report.findings else []
    for block in blocks:
        sections += [block, ""]
    report.sections = sections
    report.extra = {
        "audit": header.as_dict(live),
        "stopped_tasks": [{
            "cluster": r.service.cluster, "service": r.service.service.name,
            "service_arn": r.service.service.address, "verified": r.verified,
            "stops": [s.as_dict() for s in r.stops]} for r in stops],
        "metrics": [{
            "cluster": s.cluster, "service": s.service.name, "service_arn": s.service.address,
            **metrics[s.service.address].as_dict()} for s in live.services],
        "not_verified": [e.as_dict() for e in not_verified],
    }
