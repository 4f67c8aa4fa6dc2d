"""ECS906/ECS907 from the usage measures, and the peaks shown next to health-check kills."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ecslint.audit.stops import Stop
from ecslint.audit.usage import ContainerUsage, Measure, ServiceUsage
from ecslint.checks.base import Options
from ecslint.checks.common import is_number, quote, service_option
from ecslint.checks.health import Latency, serving_cpu
from ecslint.checks.health import _target_group_timeout as target_group_timeout
from ecslint.engine import make_finding
from ecslint.model import Finding, Location, Service, TaskDefinition

PER_CONTAINER = "container-insights-enhanced"
# A container limit at most this share of the task memory is "far below" it (incident 2).
FAR_BELOW = 0.5


def findings(usages: list[ServiceUsage], options: Options, window: str) -> list[Finding]:
    """One ECS906/ECS907 per container whose service-wide peak reaches its threshold. Only
    per-container metrics count: a task total says nothing about one of several containers."""
    out = []
    for usage in usages:
        svc = usage.service.service
        td = svc.task_definition
        if td is None:
            continue
        for row in usage.containers:
            if not isinstance(row.name, str):
                continue
            mem, cpu = row.memory, row.cpu
            limit = float(service_option(options, "container_memory_near_limit", svc, td))
            if mem.source == PER_CONTAINER and mem.percent is not None and mem.percent >= limit:
                out.append(make_finding("ECS906", _memory_message(svc, td, row, limit, window),
                                        Location(svc.address), svc.address, row.name))
            limit = float(service_option(options, "container_cpu_saturation", svc, td))
            if cpu.source == PER_CONTAINER and cpu.percent is not None and cpu.percent >= limit:
                out.append(make_finding("ECS907",
                                        _cpu_message(svc, td, row, limit, window, options),
                                        Location(svc.address), svc.address, row.name))
    return out


def _n(value: float) -> str:
    return f"{round(value, 1):g}"


def _memory_message(svc: Service, td: TaskDefinition, row: ContainerUsage, threshold: float,
                    window: str) -> str:
    m = row.memory
    head = (f"service {quote(svc.name)}: container {quote(row.name)} peaked at {_n(m.peak)} "
            f"MiB in the last {window}, {_n(m.percent)}% of ")
    task = td.memory
    if m.limit_of == "container":
        head += (f"its container memory limit of {_n(m.limit)} MiB (threshold {threshold:g}%; "
                 "Container Insights ContainerMemoryUtilized): the container's hard `memory` is "
                 "the limit that binds")
        if is_number(task) and m.limit <= FAR_BELOW * task:
            return head + (
                f", and it is far below the task memory of {_n(task)} MiB "
                f"({_n(m.limit / task * 100)}%): the container is OOM-killed (OutOfMemoryError, "
                f"exit 137) while the task still has {_n(task - m.limit)} MiB, so a dashboard "
                "of task memory shows an OOM far below the task size; raise or remove the "
                "container's `memory` (ECS103)")
        return head + "; raise it (and the task memory with it) or find what grows"
    return head + (f"the task memory of {_n(m.limit)} MiB (the container sets no hard "
                   f"`memory`; threshold {threshold:g}%; Container Insights "
                   "ContainerMemoryUtilized): a little more and the task's containers are "
                   "OOM-killed; raise the task memory (on Fargate to a valid size, ECS105) or "
                   "find what grows")


def _cpu_message(svc: Service, td: TaskDefinition, row: ContainerUsage, threshold: float,
                 window: str, options: Options) -> str:
    c = row.cpu
    share = "container `cpu`" if c.limit_of == "container" else "task `cpu`"
    text = (f"service {quote(svc.name)}: container {quote(row.name)} peaked at {_n(c.peak)} "
            f"CPU units in the last {window}, {_n(c.percent)}% of its CPU share of "
            f"{_n(c.limit)} units ({share}; threshold {threshold:g}%; Container Insights "
            "ContainerCpuUtilized): its requests queue for CPU")
    served = [lb for lb in svc.load_balancers
              if lb.container_name == row.name and lb.target_group is not None]
    container = td.container(row.name)
    if served and container is not None:
        tg = served[0].target_group
        q = serving_cpu(td, container) or c.limit / 1024
        cpu_ms = float(service_option(options, "health_check_cpu_ms", svc, td))
        latency = Latency(q, cpu_ms, min(round(c.percent, 1) / 100, 1.0))
        timeout = target_group_timeout(tg)
        against = f", against the {timeout:g} s health-check timeout of target group " \
                  f"{quote(tg.name)}" if is_number(timeout) else \
                  f" (target group {quote(tg.name)})"
        text += (f"; it serves a target group: {latency.describe()} (ECS201){against}, so "
                 "health checks time out and ECS replaces the task (ECS902)")
    return text + "; give the container more `cpu` or scale out on CPU"


# ------------------------------------------------------------------ peaks next to stops

@dataclass
class Peak:
    container: str
    memory: Measure
    cpu: Measure
    scope: str  # "task": that task's own peaks; "service": the service's, over the window


def stop_peaks(usage: ServiceUsage | None, stop: Stop) -> list[Peak]:
    """The containers' CPU and memory peaks to show next to a health-check kill: the task's
    own when its per-task metrics exist, else the service-wide ones (per-container metrics
    only)."""
    if usage is None or stop.cause != "elb-health-check":
        return []
    for task in usage.tasks:
        if task.stop.task == stop.task:
            own = [Peak(r.name, r.memory, r.cpu, "task") for r in task.containers
                   if _has_data(r)]
            if own:
                return own
    return [Peak(r.name, r.memory, r.cpu, "service") for r in usage.containers
            if isinstance(r.name, str) and _has_data(r)]


def _has_data(row: ContainerUsage) -> bool:
    """Per-container data: a task total is in the usage table, and says nothing about one
    container of several."""
    return any(m.source == PER_CONTAINER and is_number(m.peak) for m in (row.memory, row.cpu))


def _of(m: Measure, what: str, unit: str) -> str:
    if not is_number(m.peak):
        return f"{what} no data"
    if m.percent is None:
        return f"{what} {_n(m.peak)} {unit}"
    return f"{what} {_n(m.percent)}% of {_n(m.limit)} {unit}"


def peaks_text(peaks: list[Peak]) -> str:
    """`peaks in that task: web CPU 99% of 256 units, memory 58.6% of 512 MiB`."""
    if not peaks:
        return ""
    where = "in that task" if peaks[0].scope == "task" else "of the service in the window"
    parts = [f"{p.container} {_of(p.cpu, 'CPU', 'units')}, {_of(p.memory, 'memory', 'MiB')}"
             for p in peaks]
    return f"peaks {where}: " + "; ".join(parts)


def peaks_dict(peaks: list[Peak]) -> list[dict[str, Any]]:
    return [{"container": p.container, "scope": p.scope, "memory": p.memory.as_dict("memory"),
             "cpu": p.cpu.as_dict("cpu")} for p in peaks]
