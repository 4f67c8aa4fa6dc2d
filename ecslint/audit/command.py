"""`ecslint audit`: read the live account, run the rules on it, explain why tasks stopped."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from ecslint import engine
from ecslint.audit import AuditError, drift, metrics, render, stops
from ecslint.audit.aws import open_session
from ecslint.audit.live_model import read_account
from ecslint.engine import Report
from ecslint.settings import Settings

__all__ = ["AuditError", "AuditRequest", "parse_since", "run_audit"]

_SINCE = re.compile(r"(\d+)([mhdw])")
_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 604800}
# CloudWatch keeps metrics for 15 months; a longer window would silently shrink.
_MAX_WINDOW = timedelta(days=455)


@dataclass
class AuditRequest:
    region: str | None = None
    profile: str | None = None
    clusters: list[str] = field(default_factory=list)  # names or ARNs; empty: all
    services: list[str] = field(default_factory=list)  # names or ARNs; empty: all
    since: str = "24h"
    terraform: str | None = None  # directory to compare with (ECS905)


def parse_since(text: str) -> timedelta:
    """`90m`, `24h`, `7d`, `2w`, or combinations such as `1h30m`."""
    value = text.strip().lower()
    if not value or _SINCE.sub("", value) != "":
        raise AuditError(f"invalid --since '{text}': use minutes, hours, days or weeks, "
                         "e.g. 90m, 24h, 7d")
    window = timedelta(seconds=sum(int(n) * _UNITS[u] for n, u in _SINCE.findall(value)))
    if window <= timedelta(0) or window > _MAX_WINDOW:
        raise AuditError(f"invalid --since '{text}': the window must be between 1 minute and "
                         "455 days")
    return window


def run_audit(request: AuditRequest, settings: Settings, *, core: Any = None,
              clients: dict[str, Any] | None = None, now: datetime | None = None) -> Report:
    """The audit report. `core` (a botocore session), `clients` and `now` are for tests."""
    window = parse_since(request.since)
    config = drift.read_configuration(request.terraform) if request.terraform else None

    aws = open_session(request.profile, request.region, core)
    for name, client in (clients or {}).items():
        aws.use(name, client)
    account = aws.account()  # fails fast on bad credentials or an unreachable endpoint
    live = read_account(aws, request.clusters, request.services)
    end = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)
    start = end - window

    service_metrics = metrics.collect(aws, live, start, end)
    stopped = stops.collect(aws, live, start, end)
    observed = stops.findings(stopped, settings.rule_options(), request.since)
    if config is not None:
        model, problems = config
        observed += problems + drift.findings(model, live)

    report = Report(findings=engine.check(settings, [live.model], findings=observed, live=True),
                    files=sum(1 for _ in live.model.entities()))
    endpoint = aws.endpoint()
    header = render.Header(account, aws.region,
                           None if _aws_owned(endpoint) else endpoint,
                           request.since, start, end)
    render.attach(report, header, live, stopped, service_metrics, aws.not_verified)
    if aws.not_verified:
        n = len(aws.not_verified)
        report.usage_errors.append(
            f"{n} AWS call{'' if n == 1 else 's'} failed (access denied or error): what "
            f"{'it covers is' if n == 1 else 'they cover is'} not verified; see the report")
    return report


def _aws_owned(endpoint: str) -> bool:
    host = endpoint.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    return host.endswith((".amazonaws.com", ".amazonaws.com.cn", ".api.aws"))
