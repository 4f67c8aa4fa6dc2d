"""`ecslint audit`: read the live account, run the rules on it, explain why tasks stopped."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import botocore.session

from ecslint import engine
from ecslint.audit import AuditError, drift, metrics, render, stops, usage, usage_findings, \
    wording
from ecslint.audit.aws import CONNECT_TIMEOUT, DEADLINE, READ_TIMEOUT, Aws, Timeouts, open_session
from ecslint.audit.live_model import Live, read_account
from ecslint.audit.live_related import TargetGroups
from ecslint.audit.metric_data import MetricBatch
from ecslint.audit.pool import DEFAULT_MAX_CONCURRENCY, Pool
from ecslint.audit.regions import Header, RegionAudit, enabled_regions
from ecslint.engine import Report
from ecslint.model import EcsModel, Finding
from ecslint.settings import Settings

__all__ = ["AuditError", "AuditReport", "AuditRequest", "parse_since", "run_audit"]

_SINCE = re.compile(r"(\d+)([mhdw])")
_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 604800}
# CloudWatch keeps metrics for 15 months; a longer window would silently shrink.
_MAX_WINDOW = timedelta(days=455)
_ARN_REGION = re.compile(r"arn:[^:]+:[^:]+:([^:]+):")


@dataclass
class AuditRequest:
    region: str | None = None  # one region (the credential chain's when None) ...
    profile: str | None = None
    clusters: list[str] = field(default_factory=list)  # names or ARNs; empty: all
    services: list[str] = field(default_factory=list)  # names or ARNs; empty: all
    since: str = "24h"
    terraform: str | None = None  # directory to compare with (ECS905)
    regions: list[str] = field(default_factory=list)  # ... or several (`--region` repeated)
    all_regions: bool = False  # ... or every enabled region where ECS is offered
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY  # AWS calls in flight per region
    allow_empty: bool = False  # a region or filter that matches nothing is not an error
    connect_timeout: float = CONNECT_TIMEOUT  # seconds per connection attempt
    read_timeout: float = READ_TIMEOUT  # seconds to wait for an answer
    deadline: float = DEADLINE  # seconds for the whole audit


@dataclass
class AuditReport(Report):
    """The report, and what each region's audit read (the HTML report draws from it)."""

    audits: list[RegionAudit] = field(default_factory=list)


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


_STEPS = 3  # per region, told to `progress`: account and services, stopped tasks, metrics


def run_audit(request: AuditRequest, settings: Settings, *, core: Any = None,
              clients: dict[str, Any] | None = None, now: datetime | None = None,
              progress: Callable[[int, int, str], None] | None = None) -> AuditReport:
    """The audit report. `progress(done, total, what)` is told as each region's steps are
    done. `core` (a botocore session), `clients` and `now` are for tests."""
    window = parse_since(request.since)
    if request.max_concurrency < 1:
        raise AuditError("--max-concurrency must be at least 1")
    if min(request.connect_timeout, request.read_timeout, request.deadline) <= 0:
        raise AuditError("--connect-timeout, --read-timeout and --deadline must be positive")
    timeouts = Timeouts(request.connect_timeout, request.read_timeout, request.deadline)
    sessions: list[Aws] = []
    try:
        return _run(request, settings, window, timeouts.started(), sessions, core, clients,
                    now, progress)
    except AuditError as exc:
        # The JSON document of the failed audit says which calls had failed before.
        failed = [nv.as_dict() for aws in sessions for nv in aws.verification_failures()]
        raise AuditError(str(exc), {**exc.extra, "not_verified": failed}) from None


def _run(request: AuditRequest, settings: Settings, window: timedelta, timeouts: Timeouts,
         sessions: list[Aws], core: Any, clients: dict[str, Any] | None,
         now: datetime | None,
         progress: Callable[[int, int, str], None] | None = None) -> AuditReport:
    config = drift.read_configuration(request.terraform) if request.terraform else None
    # One botocore session for every region: it loads each service model once.
    core = core or botocore.session.Session()
    if request.all_regions:
        names: list[str | None] = list(enabled_regions(request.profile, request.region, core))
    else:
        names = list(dict.fromkeys(request.regions)) or [request.region]
    several = len(names) > 1 or request.all_regions
    if clients and several:
        raise AuditError("clients can be put in for a single region only")

    for name in names:
        aws = open_session(request.profile, name, core, timeouts)
        for service, client in (clients or {}).items():
            aws.use(service, client)
        aws.prepare()  # clients are created here, before any call runs on a thread
        sessions.append(aws)
    end = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)
    start = end - window
    steps = itertools.count(1)  # next() is atomic: regions run on threads

    def done(what: str) -> None:
        if progress is not None:
            progress(next(steps), _STEPS * len(sessions), what)

    def one(aws: Aws) -> RegionAudit:
        with Pool(request.max_concurrency) as pool:
            aws.pool = pool
            return _audit_region(aws, request, settings, start, end, strict=not several
                                 and not request.allow_empty, done=done)

    if progress is not None:
        progress(0, _STEPS * len(sessions), "reading the account")
    with Pool(min(len(sessions), request.max_concurrency)) as regions_pool:
        audits = regions_pool.map(one, sessions)

    findings = [f for a in audits for f in a.findings]
    if config is not None:
        model, problems = config
        findings += problems + [f for a in audits for f in drift.findings(model, a.live)]
    report = AuditReport(findings=engine.check(settings, findings=findings, live=True),
                         files=sum(1 for a in audits for _ in a.live.model.entities()),
                         audits=audits)
    for a in audits:
        a.findings = [f for f in report.findings if _region_of(f) == a.region]
    render.attach(report, audits)
    report.usage_errors += _empty(request, audits)
    n = sum(len(a.not_verified) for a in audits)
    if n:
        report.usage_errors.append(
            f"{n} AWS call{'' if n == 1 else 's'} failed (access denied or error): what "
            f"{'it covers is' if n == 1 else 'they cover is'} not verified; see the report")
    return report


def _audit_region(aws: Aws, request: AuditRequest, settings: Settings, start: datetime,
                  end: datetime, strict: bool,
                  done: Callable[[str], None] = lambda what: None) -> RegionAudit:
    account = aws.account()  # fails fast on bad credentials or an unreachable endpoint
    # An ARN names its region; a name is looked up in every region audited.
    wanted = [c for c in request.clusters
              if not _ARN_REGION.match(c) or _ARN_REGION.match(c).group(1) == aws.region]
    if request.clusters and not wanted:  # only clusters of other regions were asked for
        live = Live(EcsModel(live=True), [], [], TargetGroups(),
                    [f"cluster {c}" for c in request.clusters], listed=False)
    else:
        live = read_account(aws, wanted, request.services, strict)
        live.missing += [f"cluster {c}" for c in request.clusters if c not in wanted]
    done(f"{aws.region}: clusters and services read")
    stopped = stops.collect(aws, live, start, end, by_cluster=not request.services)
    done(f"{aws.region}: stopped tasks read")

    batch = MetricBatch(metrics.period_for(start, end))
    planned_metrics = metrics.plan(batch, live)
    planned_usage = usage.plan(batch, live, stopped)
    batch.fetch(aws, start, end)
    done(f"{aws.region}: metrics read")
    service_metrics = metrics.apply(planned_metrics, batch, live)
    usages = usage.resolve(planned_usage, batch, stopped)

    options = settings.rule_options()
    by_service = {u.service.service.address: u for u in usages}

    def peaks(result: stops.ServiceStops, stop: stops.Stop) -> str:
        found = usage_findings.stop_peaks(by_service.get(result.service.service.address), stop)
        return usage_findings.peaks_text(found)

    findings: list[Finding] = [wording.in_live_words(f) for f in
                               engine.run_rules(live.model, settings, live=True)]
    findings += stops.findings(stopped, options, request.since, peaks)
    findings += usage_findings.findings(usages, options, request.since)
    endpoint = aws.endpoint()
    header = Header(account, aws.region, None if _aws_owned(endpoint) else endpoint,
                    request.since, start, end)
    return RegionAudit(header, live, stopped, service_metrics, usages,
                       aws.verification_failures(), findings)


def _empty(request: AuditRequest, audits: list[RegionAudit]) -> list[str]:
    """No silent green: a region or filter that matched nothing is an error (exit 2)."""
    if request.allow_empty:
        return []
    missing = [m for m in audits[0].live.missing
               if all(m in a.live.missing for a in audits)]
    if missing:
        return [f"not found in any audited region: {', '.join(missing)} (--allow-empty "
                "accepts that)"]
    if request.clusters:
        return []
    empty = [a.region for a in audits if a.live.listed and not a.live.clusters]
    if request.all_regions:
        if len(empty) == len(audits):
            return [f"no ECS clusters in any of the {len(audits)} enabled regions "
                    "(--allow-empty accepts that)"]
        return []
    if empty:
        where = f"region {empty[0]}" if len(empty) == 1 else f"regions {', '.join(empty)}"
        return [f"no ECS clusters in {where}: check --region (a typo passes no other check), "
                "or pass --allow-empty if it is meant to be empty"]
    return []


def _region_of(finding: Finding) -> str | None:
    found = _ARN_REGION.match(finding.file or "")
    return found.group(1) if found else None


def _aws_owned(endpoint: str) -> bool:
    host = endpoint.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    return host.endswith((".amazonaws.com", ".amazonaws.com.cn", ".api.aws"))
