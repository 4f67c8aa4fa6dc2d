"""CloudWatch maxima over the look-back window: service CPU/memory, target-group response time."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ecslint.audit.aws import Aws, chunks
from ecslint.audit.live_model import Live
from ecslint.model import UNKNOWN, is_unknown

_MAX_QUERIES = 500  # GetMetricData limit per call
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
    """Metrics per service ARN; also sets the services' max_cpu/max_memory_utilization."""
    queries: list[dict] = []
    targets: dict[str, tuple[ServiceMetrics, str]] = {}  # query id -> where the value goes
    out: dict[str, ServiceMetrics] = {}
    period = period_for(start, end)

    def query(qid: str, namespace: str, metric: str, dims: dict[str, str]) -> None:
        queries.append({"Id": qid, "ReturnData": True, "MetricStat": {
            "Metric": {"Namespace": namespace, "MetricName": metric,
                       "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()]},
            "Period": period, "Stat": "Maximum"}})

    response_ids: dict[tuple[str, str], str] = {}
    for i, live_service in enumerate(live.services):
        svc = live_service.service
        metrics = out[svc.address] = ServiceMetrics()
        dims = {"ClusterName": live_service.cluster, "ServiceName": svc.name}
        query(f"cpu{i}", "AWS/ECS", "CPUUtilization", dims)
        query(f"mem{i}", "AWS/ECS", "MemoryUtilization", dims)
        targets[f"cpu{i}"], targets[f"mem{i}"] = (metrics, "cpu"), (metrics, "mem")
        for lb in svc.load_balancers:
            tg = lb.target_group
            for lb_arn, kind in live.target_groups.load_balancers.get(
                    tg.address if tg else "", []):
                if kind != "application":
                    continue  # TargetResponseTime exists for Application Load Balancers only
                metrics.response_times.append(ResponseTime(tg.address, lb_arn))
                key = (tg.address, lb_arn)
                if key not in response_ids:
                    response_ids[key] = f"rt{len(response_ids)}"
                    query(response_ids[key], "AWS/ApplicationELB", "TargetResponseTime",
                          {"LoadBalancer": _dimension(lb_arn),
                           "TargetGroup": _dimension(tg.address)})

    values: dict[str, Any] = {}
    for chunk in chunks(queries, _MAX_QUERIES):
        pages = aws.pages("cloudwatch", "get_metric_data",
                          "CPUUtilization/MemoryUtilization/TargetResponseTime maxima "
                          "(ECS201, ECS902, ECS903, ECS904)",
                          MetricDataQueries=chunk, StartTime=start, EndTime=end)
        for q in chunk:
            values.setdefault(q["Id"], UNKNOWN if pages is None else None)
        for result in (r for page in pages or [] for r in page.get("MetricDataResults", [])):
            if result.get("Values"):
                old = values.get(result["Id"])
                new = max(result["Values"])
                values[result["Id"]] = new if not isinstance(old, (int, float)) else max(old, new)

    for qid, (metrics, kind) in targets.items():
        if kind == "cpu":
            metrics.max_cpu = values.get(qid)
        else:
            metrics.max_memory = values.get(qid)
    for metrics in out.values():
        for rt in metrics.response_times:
            rt.max_seconds = values.get(response_ids[(rt.target_group, rt.load_balancer)])
    for live_service in live.services:
        svc = live_service.service
        svc.max_cpu_utilization = out[svc.address].max_cpu
        svc.max_memory_utilization = out[svc.address].max_memory
    return out
