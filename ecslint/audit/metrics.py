"""CloudWatch maxima over the look-back window: service CPU/memory, target-group response time."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ecslint.audit.aws import Aws
from ecslint.audit.live_model import Live
from ecslint.audit.metric_data import MetricBatch
from ecslint.model import is_unknown

_DAY = 86400


@dataclass
class ResponseTime:
    target_group: str
    load_balancer: str
    max_seconds: Any = None  # float, None (no data) or UNKNOWN (call failed)


@dataclass
class ServiceMetrics:
    max_cpu: Any = None  # percent; None: no data; UNKNOWN: not verified
    max_memory: Any = None
    response_times: list[ResponseTime] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        def value(v: Any) -> Any:
            return None if is_unknown(v) else v
        return {
            "max_cpu_utilization": value(self.max_cpu),
            "max_memory_utilization": value(self.max_memory),
            "target_response_time": [
                {"target_group": r.target_group, "load_balancer": r.load_balancer,
                 "max_seconds": value(r.max_seconds)} for r in self.response_times],
            "verified": not any(is_unknown(v) for v in (
                self.max_cpu, self.max_memory, *(r.max_seconds for r in self.response_times))),
        }


def period_for(start: datetime, end: datetime) -> int:
    """At most ~1440 points per series; coarser where CloudWatch keeps only coarser data."""
    seconds = max((end - start).total_seconds(), 60)
    step = 3600 if seconds > 63 * _DAY else 300 if seconds > 15 * _DAY else 60
    return max(step, math.ceil(seconds / 1440 / step) * step)


def _dimension(arn: str) -> str:
    """ELB metric dimensions are the ARN resource: `app/<lb>/<id>`, `targetgroup/<tg>/<id>`."""
    resource = arn.rsplit(":", 1)[-1]
    return resource.removeprefix("loadbalancer/")


def collect(aws: Aws, live: Live, start: datetime, end: datetime) -> dict[str, ServiceMetrics]:
    """Metrics per service ARN, read on their own (the audit reads them in its shared batch)."""
    batch = MetricBatch(period_for(start, end))
    planned = plan(batch, live)
    batch.fetch(aws, start, end)
    return apply(planned, batch, live)


@dataclass
class Planned:
    """Where each query's maximum goes."""

    metrics: dict[str, ServiceMetrics]  # service ARN -> its metrics
    targets: dict[str, tuple[ServiceMetrics, str]]  # query id -> (metrics, "cpu" or "mem")
    response_ids: dict[tuple[str, str], str]  # (target group, load balancer) -> query id


def plan(batch: MetricBatch, live: Live) -> Planned:
    """Adds the service and target-group queries to the batch."""
    planned = Planned({}, {}, {})
    for i, live_service in enumerate(live.services):
        svc = live_service.service
        metrics = planned.metrics[svc.address] = ServiceMetrics()
        dims = {"ClusterName": live_service.cluster, "ServiceName": svc.name}
        planned.targets[batch.add("AWS/ECS", "CPUUtilization", dims, f"cpu{i}")] = (metrics,
                                                                                   "cpu")
        planned.targets[batch.add("AWS/ECS", "MemoryUtilization", dims, f"mem{i}")] = (
            metrics, "mem")
        for lb in svc.load_balancers:
            tg = lb.target_group
            for lb_arn, kind in live.target_groups.load_balancers.get(
                    tg.address if tg else "", []):
                if kind != "application":
                    continue  # TargetResponseTime exists for Application Load Balancers only
                metrics.response_times.append(ResponseTime(tg.address, lb_arn))
                key = (tg.address, lb_arn)
                if key not in planned.response_ids:
                    planned.response_ids[key] = batch.add(
                        "AWS/ApplicationELB", "TargetResponseTime",
                        {"LoadBalancer": _dimension(lb_arn), "TargetGroup": _dimension(tg.address)},
                        f"rt{len(planned.response_ids)}")
    return planned


def apply(planned: Planned, batch: MetricBatch, live: Live) -> dict[str, ServiceMetrics]:
    """The maxima read; also sets the services' max_cpu/max_memory_utilization."""
    for qid, (metrics, kind) in planned.targets.items():
        if kind == "cpu":
            metrics.max_cpu = batch.peak(qid)
        else:
            metrics.max_memory = batch.peak(qid)
    for metrics in planned.metrics.values():
        for rt in metrics.response_times:
            rt.max_seconds = batch.peak(planned.response_ids[(rt.target_group, rt.load_balancer)])
    for live_service in live.services:
        svc = live_service.service
        svc.max_cpu_utilization = planned.metrics[svc.address].max_cpu
        svc.max_memory_utilization = planned.metrics[svc.address].max_memory
    return planned.metrics
