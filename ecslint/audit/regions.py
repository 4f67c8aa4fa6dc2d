"""Which regions an audit covers, and what it found in each."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ecslint.audit import AuditError
from ecslint.audit.aws import NotVerified, open_session
from ecslint.audit.live_model import Live
from ecslint.audit.metrics import ServiceMetrics
from ecslint.audit.stops import ServiceStops, iso
from ecslint.audit.usage import ServiceUsage
from ecslint.model import Finding


@dataclass
class Header:
    account: str | None
    region: str
    endpoint: str | None  # shown only when it is not AWS's own (AWS_ENDPOINT_URL)
    since: str
    start: datetime
    end: datetime

    def as_dict(self, live: Live, qualify: bool = False) -> dict[str, Any]:
        prefix = f"{self.region}/" if qualify else ""
        return {"account": self.account, "region": self.region, "endpoint": self.endpoint,
                "since": self.since, "window_start": iso(self.start),
                "window_end": iso(self.end),
                "clusters": [prefix + c.name for c in live.clusters],
                "services": [prefix + s.label for s in live.services]}

    def line(self, live: Live) -> str:
        where = f"account {self.account or 'unknown'}, region {self.region}"
        if self.endpoint:
            where += f", endpoint {self.endpoint}"
        n_clusters, n_services = len(live.clusters), len(live.services)
        return (f"Live audit of {where}; window {self.since} ({iso(self.start)} to "
                f"{iso(self.end)}); {n_clusters} cluster{'' if n_clusters == 1 else 's'}, "
                f"{n_services} service{'' if n_services == 1 else 's'}.")


@dataclass
class RegionAudit:
    """Everything one region's audit read and concluded."""

    header: Header
    live: Live
    stopped: list[ServiceStops]
    metrics: dict[str, ServiceMetrics]
    usage: list[ServiceUsage]
    not_verified: list[NotVerified]
    findings: list[Finding] = field(default_factory=list)

    @property
    def region(self) -> str:
        return self.header.region


def enabled_regions(profile: str | None, region: str | None, core: Any = None) -> list[str]:
    """The regions enabled for the account (EC2 DescribeRegions lists only those, opt-in
    regions included once opted in) in which ECS is offered, sorted."""
    try:
        aws = open_session(profile, region, core)
    except AuditError:
        if region is not None:
            raise
        aws = open_session(profile, "us-east-1", core)  # no region configured: any will do
    found = aws.call("ec2", "describe_regions",
                     "the regions enabled for the account (--all-regions)")
    if found is None:
        failure = aws.not_verified[0]
        raise AuditError(f"cannot list the account's regions for --all-regions "
                         f"({failure.action}): {failure.error}")
    ecs = set(aws.session.get_available_regions("ecs", aws.partition()))
    names = sorted(r["RegionName"] for r in found.get("Regions", [])
                   if r.get("OptInStatus", "opt-in-not-required") != "not-opted-in")
    return [name for name in names if name in ecs]
