"""Each container's peak memory and CPU in the window, next to that container's own limit.

Sources, best first (the report names the one each number came from):

- Container Insights with enhanced observability: `ECS/ContainerInsights` `ContainerMemoryUtilized`
  (MiB) and `ContainerCpuUtilized` (CPU units) per container, dimensions ClusterName,
  ServiceName, ContainerName (and TaskId for one task). AWS, "Amazon ECS Container Insights with
  enhanced observability metrics":
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Container-Insights-enhanced-observability-metrics-ECS.html
- Container Insights: `MemoryUtilized` (MiB) and `CpuUtilized` (CPU units) of the service's
  tasks, dimensions ClusterName, ServiceName (TaskId too when enhanced). AWS, "Amazon ECS
  Container Insights metrics":
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Container-Insights-metrics-ECS.html
- `AWS/ECS` `MemoryUtilization` / `CPUUtilization` of the service (percent of what the task
  definition specifies), turned into MiB and CPU units with the task size.

A task's usage is the sum of its containers', so the task-level sources stand for a container
only when the task has just that one container.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable

from ecslint.audit.live_model import Live, LiveService
from ecslint.audit.metric_data import MetricBatch, Series
from ecslint.audit.stops import ServiceStops, Stop, iso
from ecslint.checks.common import containers, is_number
from ecslint.sources.taskdef import parse_cpu, parse_memory
from ecslint.unknown import number
from ecslint.model import UNKNOWN, Container, TaskDefinition, is_unknown

INSIGHTS = "ECS/ContainerInsights"
# source key -> (short label for tables, the metric of memory and of CPU)
SOURCES = {
    "container-insights-enhanced": ("Container Insights, per container", {
        "memory": "ECS/ContainerInsights ContainerMemoryUtilized",
        "cpu": "ECS/ContainerInsights ContainerCpuUtilized"}),
    "container-insights": ("Container Insights, task total", {
        "memory": "ECS/ContainerInsights MemoryUtilized",
        "cpu": "ECS/ContainerInsights CpuUtilized"}),
    "aws-ecs": ("AWS/ECS service utilization x task size", {
        "memory": "AWS/ECS MemoryUtilization x task memory",
        "cpu": "AWS/ECS CPUUtilization x task cpu"}),
}
NOT_READ = "not verified: the GetMetricData call failed (see Not verified)"


@dataclass
class Measure:
    """One peak against one limit: memory in MiB, CPU in CPU units (1024 = 1 vCPU)."""

    peak: Any = None  # number; None: no data; UNKNOWN: not verified
    limit: Any = None  # number, or None when there is none (or it is not known)
    limit_of: str | None = None  # "container", "task" or "reservations"
    source: str | None = None  # a key of SOURCES
    reason: str | None = None  # why there is no peak (or no limit)
    series: Series = field(default_factory=list)

    @property
    def percent(self) -> float | None:
        if is_number(self.peak) and is_number(self.limit) and self.limit > 0:
            return self.peak / self.limit * 100
        return None

    def as_dict(self, kind: str) -> dict[str, Any]:
        """`kind`: "memory" (in MiB) or "cpu" (in CPU units)."""
        percent = self.percent
        return {"peak": None if is_unknown(self.peak) else _round(self.peak),
                "unit": "MiB" if kind == "memory" else "CPU units",
                "limit": self.limit, "limit_of": self.limit_of,
                "percent": None if percent is None else round(percent, 1),
                "source": self.source,
                "metric": SOURCES[self.source][1][kind] if self.source else None,
                "verified": not is_unknown(self.peak), "reason": self.reason}


@dataclass
class ContainerUsage:
    name: str | None  # None: the task as a whole
    memory: Measure
    cpu: Measure

    def as_dict(self) -> dict[str, Any]:
        return {"container": self.name, "memory": self.memory.as_dict("memory"),
                "cpu": self.cpu.as_dict("cpu")}


@dataclass
class TaskUsage:
    """A stopped task still visible: its containers' peaks over the window."""

    stop: Stop
    containers: list[ContainerUsage]

    def as_dict(self) -> dict[str, Any]:
        return {"task": self.stop.task, "stopped_at": iso(self.stop.stopped_at),
                "cause": self.stop.cause,
                "containers": [c.as_dict() for c in self.containers]}


@dataclass
class ServiceUsage:
    service: LiveService
    insights: str | None  # effective containerInsights: enhanced, enabled, disabled; None unknown
    containers: list[ContainerUsage] = field(default_factory=list)
    task: ContainerUsage | None = None
    tasks: list[TaskUsage] = field(default_factory=list)
    # Why ECS906/ECS907 could not be checked (no per-container metrics), None when they were.
    not_verified: str | None = None

    @property
    def revision(self) -> str | None:
        arn = self.service.task_definition_arn
        return arn.rsplit("/", 1)[-1] if arn else None

    def as_dict(self) -> dict[str, Any]:
        svc = self.service.service
        return {"cluster": self.service.cluster, "service": svc.name,
                "service_arn": svc.address, "task_definition": self.service.task_definition_arn,
                "container_insights": self.insights,
                "containers": [c.as_dict() for c in self.containers],
                "task": self.task.as_dict() if self.task else None,
                "stopped_tasks": [t.as_dict() for t in self.tasks],
                "rules_verified": self.not_verified is None,
                "not_verified": ["ECS906", "ECS907"] if self.not_verified else [],
                "not_verified_reason": self.not_verified}


def _round(value: Any) -> Any:
    return round(value, 1) if isinstance(value, float) else value


# ------------------------------------------------------------------ limits

def memory_limit(container: Container, td: TaskDefinition) -> tuple[Any, str | None]:
    """The limit that kills the container: its hard `memory`, else the task `memory`."""
    own, task = container.memory, td.memory
    if is_number(own) and own > 0:
        return own, "container"
    if is_number(task) and task > 0:
        return task, "task"
    return None, None


def cpu_share(container: Container, td: TaskDefinition) -> tuple[Any, str | None]:
    """The CPU the container is sized for: its `cpu` units, else the task `cpu`."""
    own, task = container.cpu, td.cpu
    if is_number(own) and own > 0:
        return own, "container"
    if is_number(task) and task > 0:
        return task, "task"
    return None, None


def _task_base(td: TaskDefinition, key: str) -> tuple[Any, str | None]:
    """What AWS/ECS utilization is relative to: the task size, else the containers' sum."""
    task = td.cpu if key == "cpu" else td.memory
    if is_number(task) and task > 0:
        return task, "task"
    cs = containers(td) or []
    own = [c.cpu if key == "cpu" else c.memory_reservation
           if is_number(c.memory_reservation) else c.memory for c in cs]
    if cs and all(is_number(x) and x > 0 for x in own):
        return sum(own), "reservations"
    return None, None


# ------------------------------------------------------------------ planning

def effective_insights(live: Live, cluster_name: str) -> str | None:
    """containerInsights of the cluster, else the account default; None when unknown."""
    cluster = next((c for c in live.clusters if c.name == cluster_name), None)
    value = cluster.container_insights if cluster is not None else None
    if value is None:
        account = [s.value for s in live.model.account_settings
                   if s.name == "containerInsights"]
        value = account[0] if account else "disabled"
    if not isinstance(value, str):
        return None
    value = value.lower()
    return {"on": "enabled", "off": "disabled"}.get(value, value)


@dataclass
class _Ids:
    """Query ids of one row (a container, or the task), by source, for memory and CPU."""

    memory: dict[str, str] = field(default_factory=dict)
    cpu: dict[str, str] = field(default_factory=dict)


@dataclass
class Plan:
    usage: list[ServiceUsage]
    ids: dict[tuple, _Ids]  # (service ARN, task id or None, container name or None) -> ids


def plan(batch: MetricBatch, live: Live, stops: list[ServiceStops]) -> Plan:
    """Adds every usage query to the batch (the same metric twice is one query)."""
    out = Plan([], {})
    stops_of = {s.service.service.address: s.stops for s in stops}
    for i, ls in enumerate(live.services):
        insights = effective_insights(live, ls.cluster)
        usage = ServiceUsage(ls, insights)
        out.usage.append(usage)
        td = ls.service.task_definition
        cs = containers(td) if td is not None else None
        if not cs:
            continue
        base = {"ClusterName": ls.cluster, "ServiceName": ls.service.name}
        per_container = insights in (None, "enhanced")
        per_task = insights in (None, "enabled", "enhanced")
        for c in cs:
            ids = out.ids[(ls.service.address, None, c.name)] = _Ids()
            if per_container and isinstance(c.name, str):
                dims = {**base, "ContainerName": c.name}
                ids.memory["container-insights-enhanced"] = batch.add(
                    INSIGHTS, "ContainerMemoryUtilized", dims)
                ids.cpu["container-insights-enhanced"] = batch.add(
                    INSIGHTS, "ContainerCpuUtilized", dims)
        ids = out.ids[(ls.service.address, None, None)] = _Ids()
        if per_task:
            ids.memory["container-insights"] = batch.add(INSIGHTS, "MemoryUtilized", base)
            ids.cpu["container-insights"] = batch.add(INSIGHTS, "CpuUtilized", base)
        ids.memory["aws-ecs"] = batch.add("AWS/ECS", "MemoryUtilization", base, f"mem{i}")
        ids.cpu["aws-ecs"] = batch.add("AWS/ECS", "CPUUtilization", base, f"cpu{i}")
        if not per_container:
            continue  # TaskId dimensions exist with enhanced observability only
        for stop in _task_stops(stops_of.get(ls.service.address, [])):
            task_dims = {**base, "TaskId": stop.task}
            for c in cs:
                if isinstance(c.name, str):
                    ids = out.ids[(ls.service.address, stop.task, c.name)] = _Ids()
                    dims = {**task_dims, "ContainerName": c.name}
                    ids.memory["container-insights-enhanced"] = batch.add(
                        INSIGHTS, "ContainerMemoryUtilized", dims)
                    ids.cpu["container-insights-enhanced"] = batch.add(
                        INSIGHTS, "ContainerCpuUtilized", dims)
            ids = out.ids[(ls.service.address, stop.task, None)] = _Ids()
            ids.memory["container-insights"] = batch.add(INSIGHTS, "MemoryUtilized", task_dims)
            ids.cpu["container-insights"] = batch.add(INSIGHTS, "CpuUtilized", task_dims)
    return out


def _task_stops(stops: list[Stop]) -> list[Stop]:
    """One stop per task id (a task and the service event about it are the same task)."""
    seen: dict[str, Stop] = {}
    for stop in stops:
        if stop.task and stop.task not in seen:
            seen[stop.task] = stop
    return list(seen.values())


# ------------------------------------------------------------------ results

def resolve(planned: Plan, batch: MetricBatch, stops: list[ServiceStops]) -> list[ServiceUsage]:
    """The measures, from the best source that has data, after the batch was read."""
    stops_of = {s.service.service.address: s.stops for s in stops}
    for usage in planned.usage:
        ls = usage.service
        td = ls.service.task_definition
        cs = containers(td) if td is not None else None
        if not cs or td is None:
            usage.not_verified = "the task definition was not read"
            continue
        arn = ls.service.address
        usage.task = _task_row(planned.ids[(arn, None, None)], batch, td, usage.insights)
        usage.containers = [_container_row(planned.ids[(arn, None, c.name)], batch, c, td,
                                           usage, usage.task) for c in cs]
        if not any(_per_container(c) for c in usage.containers):
            usage.not_verified = _no_container_data(usage)
        for stop in _task_stops(stops_of.get(arn, [])):
            if (arn, stop.task, None) not in planned.ids:
                continue
            task_td = _revision_of(stop, td)
            task_row = _task_row(planned.ids[(arn, stop.task, None)], batch, task_td,
                                 usage.insights)
            rows = [_container_row(planned.ids[(arn, stop.task, c.name)], batch, c, task_td,
                                   usage, task_row) for c in cs if isinstance(c.name, str)]
            usage.tasks.append(TaskUsage(stop, rows))
    return planned.usage


def _revision_of(stop: Stop, td: TaskDefinition) -> TaskDefinition:
    """The limits a stopped task ran with: its own (DescribeTasks reports them, overrides
    included), else those of the current revision."""
    if stop.limits is None:
        return td
    own = stop.limits.get("containers", {})

    # DescribeTasks' values, converted as every source converts them (ecslint.unknown); 0
    # or absent means the revision's value stands.
    def either(reported: Any, revision: Any) -> Any:
        return reported if is_number(reported) and reported > 0 else revision

    def sized(c: Container) -> Container:
        mine = own.get(c.name, {}) if isinstance(c.name, str) else {}
        return replace(c, cpu=either(number(mine.get("cpu")), c.cpu),
                       memory=either(number(mine.get("memory")), c.memory))

    return replace(td, cpu=either(parse_cpu(stop.limits.get("cpu")), td.cpu),
                   memory=either(parse_memory(stop.limits.get("memory")), td.memory),
                   containers=[sized(c) for c in containers(td) or []])


def _per_container(row: ContainerUsage) -> bool:
    return row.memory.source == "container-insights-enhanced" or \
        row.cpu.source == "container-insights-enhanced"


def _first(ids: dict[str, str], batch: MetricBatch,
           convert: Callable[[str, float], float | None]) -> tuple[str | None, Series, Any]:
    """(source, series, peak) of the first source with data; peak UNKNOWN if not read."""
    unread = False
    for source, qid in ids.items():
        found = batch.series(qid)
        if is_unknown(found):
            unread = True
            continue
        series = [(t, v) for t, v in ((t, convert(source, v)) for t, v in found)
                  if v is not None]
        if series:
            return source, series, max(v for _, v in series)
    return None, [], UNKNOWN if unread else None


def _task_row(ids: _Ids, batch: MetricBatch, td: TaskDefinition,
              insights: str | None) -> ContainerUsage:
    row = ContainerUsage(None, Measure(), Measure())
    for measure, key, which in ((row.memory, "memory", ids.memory), (row.cpu, "cpu", ids.cpu)):
        limit, of = _task_base(td, key)
        measure.limit, measure.limit_of = limit, of

        def convert(source: str, value: float, limit: Any = limit) -> float | None:
            if source != "aws-ecs":
                return value
            return value * limit / 100 if is_number(limit) else None

        measure.source, measure.series, measure.peak = _first(which, batch, convert)
        if measure.peak is None:
            measure.reason = _no_data(insights, task=True)
        elif is_unknown(measure.peak):
            measure.reason = NOT_READ
    return row


def _container_row(ids: _Ids, batch: MetricBatch, c: Container, td: TaskDefinition,
                   usage: ServiceUsage, task: ContainerUsage) -> ContainerUsage:
    single = len(containers(td) or []) == 1
    row = ContainerUsage(c.name, Measure(), Measure())
    for measure, which, task_measure, limit_of in (
            (row.memory, ids.memory, task.memory, memory_limit),
            (row.cpu, ids.cpu, task.cpu, cpu_share)):
        measure.limit, measure.limit_of = limit_of(c, td)
        measure.source, measure.series, measure.peak = _first(which, batch, lambda s, v: v)
        if measure.peak is None and single and task_measure.source is not None:
            # The task's only container: the task's usage is this container's.
            measure.source, measure.series = task_measure.source, task_measure.series
            measure.peak = task_measure.peak
        if measure.peak is None and is_unknown(task_measure.peak):
            measure.peak = UNKNOWN
        if is_unknown(measure.peak):
            measure.reason = NOT_READ
        elif measure.peak is None:
            measure.reason = _no_data(usage.insights, task=False) + (
                "; the task total is in the task row" if task_measure.source else "")
        elif measure.limit is None:
            measure.reason = "no limit: neither the container nor the task sets one"
    return row


def _no_data(insights: str | None, task: bool) -> str:
    if insights == "disabled":
        return "no data: Container Insights is disabled"
    if insights == "enabled" and not task:
        return "no data: Container Insights is not enhanced (no per-container metrics)"
    return "no data in the window"


def _no_container_data(usage: ServiceUsage) -> str:
    if usage.insights == "disabled":
        return "Container Insights is disabled on the cluster"
    if usage.insights == "enabled":
        return "Container Insights is enabled but not enhanced on the cluster"
    if any(is_unknown(c.memory.peak) for c in usage.containers):
        return "the metrics could not be read"
    return "no per-container data points in the window"
