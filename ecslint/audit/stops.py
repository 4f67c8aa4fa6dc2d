"""Why tasks stopped: stopped tasks still visible and service events, each with one cause."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

from ecslint.audit.aws import Aws, chunks
from ecslint.audit.live_model import Live, LiveService
from ecslint.checks.base import Options
from ecslint.checks.common import is_number, service_option
from ecslint.engine import make_finding
from ecslint.model import Finding, Location, Service

# cause key (JSON) -> label (text)
CAUSES = {
    "oom": "OOM",
    "elb-health-check": "ELB health check",
    "container-health-check": "container health check",
    "essential-container-exit": "essential container exit",
    "deployment-scaling": "deployment/scaling",
    "user": "user",
    "spot-infrastructure": "spot/infrastructure",
    "failed-to-start": "failed to start",
    "other": "other",
}
_INFRASTRUCTURE = frozenset({"SpotInterruption", "TerminationNotice", "InfrastructureHealth"})
OOM_PREFIX = "OutOfMemoryError"
ELB_FAILED = "failed ELB health checks"
CONTAINER_FAILED = "failed container health checks"
_UNHEALTHY_IN_TG = re.compile(r"is unhealthy in \(target-group [^)]*\)")
_FAILED_LAUNCH = "failed to launch a task"
_TASK_IN_EVENT = re.compile(r"\(task ([0-9A-Za-z-]+)\)")
SIGKILL_NOTE = ("exit code 137 of container '{}' is SIGKILL after the stop timeout (it did "
                "not exit within the timeout after SIGTERM), not an OOM kill")


@dataclass
class ContainerExit:
    name: str
    exit_code: int | None
    reason: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "exit_code": self.exit_code, "reason": self.reason}


@dataclass
class Stop:
    cause: str  # a key of CAUSES
    source: str  # "task" (describe_tasks) or "event" (service event)
    task: str | None  # task id
    stopped_at: datetime | None
    stop_code: str | None = None
    stopped_reason: str | None = None
    containers: list[ContainerExit] = field(default_factory=list)
    detail: str = ""
    # What the task ran with, as DescribeTasks reports it (task `cpu`/`memory`, and per
    # container name its `cpu`/`memory`); None for a stop known from a service event.
    limits: dict[str, Any] | None = field(default=None, compare=False, repr=False)

    def sort_key(self) -> tuple:
        when = self.stopped_at.timestamp() if self.stopped_at else float("-inf")
        return (-when, self.task or "", self.stopped_reason or "")

    def oom_containers(self) -> list[str]:
        return [c.name for c in self.containers if (c.reason or "").startswith(OOM_PREFIX)]

    def sigkilled(self) -> list[str]:
        """Containers that exited 137 without an OOM reason."""
        return [c.name for c in self.containers if c.exit_code == 137
                and not (c.reason or "").startswith(OOM_PREFIX)]

    def as_dict(self) -> dict[str, Any]:
        return {"task": self.task, "stopped_at": iso(self.stopped_at), "cause": self.cause,
                "source": self.source, "stop_code": self.stop_code,
                "stopped_reason": self.stopped_reason,
                "containers": [c.as_dict() for c in self.containers], "detail": self.detail}


@dataclass
class ServiceStops:
    service: LiveService
    stops: list[Stop] = field(default_factory=list)
    verified: bool = True  # False when the stopped tasks could not be read


def iso(when: datetime | None) -> str | None:
    if when is None:
        return None
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def task_id(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


# ------------------------------------------------------------------ classification

def classify(task: dict[str, Any], essential: frozenset[str] | None = None) -> Stop:
    """One describe_tasks entry -> its stop cause. `essential`: the names of the essential
    containers of its revision, when known (a sidecar's exit does not stop a task)."""
    reason = task.get("stoppedReason") or ""
    code = task.get("stopCode")
    containers = sorted((ContainerExit(c.get("name", "?"), c.get("exitCode"), c.get("reason"))
                         for c in task.get("containers", [])), key=lambda c: c.name)
    stop = Stop("other", "task", task_id(task.get("taskArn", "")),
                task.get("stoppedAt") or task.get("stoppingAt"), code, reason or None,
                containers)
    stop.limits = {"cpu": task.get("cpu"), "memory": task.get("memory"), "containers": {
        c["name"]: {"cpu": c.get("cpu"), "memory": c.get("memory")}
        for c in task.get("containers", []) if c.get("name")}}
    oom = stop.oom_containers()
    details: list[str] = []
    if oom:
        stop.cause = "oom"
        details = [f"container '{c.name}': {c.reason}" + _exit(c) for c in containers
                   if c.name in oom]
    elif ELB_FAILED in reason:
        stop.cause = "elb-health-check"
    elif CONTAINER_FAILED in reason:
        stop.cause = "container-health-check"
        unhealthy = [c.get("name") for c in task.get("containers", [])
                     if c.get("healthStatus") == "UNHEALTHY"]
        details = [f"unhealthy: {', '.join(sorted(unhealthy))}"] if unhealthy else []
    elif code == "TaskFailedToStart":
        stop.cause = "failed-to-start"
        details = [f"container '{c.name}': {c.reason}" for c in containers if c.reason]
    elif code in _INFRASTRUCTURE:
        stop.cause = "spot-infrastructure"
    elif code == "EssentialContainerExited" or reason.startswith("Essential container"):
        stop.cause = "essential-container-exit"
        candidates = [c for c in containers if essential is None or c.name in essential]
        exited = [c for c in candidates if c.exit_code not in (None, 0)] or \
            [c for c in candidates if c.exit_code is not None]
        details = [f"container '{c.name}' exited with code {c.exit_code}"
                   + (f" ({c.reason})" if c.reason else "") for c in exited]
    elif code == "ServiceSchedulerInitiated":
        stop.cause = "deployment-scaling"
    elif code == "UserInitiated":
        stop.cause = "user"
    if stop.cause not in ("oom", "essential-container-exit", "failed-to-start") or not details:
        details.insert(0, reason or f"stop code {code or 'unknown'}")
    details += [SIGKILL_NOTE.format(name) for name in stop.sigkilled()]
    stop.detail = "; ".join(details)
    return stop


def _exit(c: ContainerExit) -> str:
    return f" (exit {c.exit_code})" if c.exit_code is not None else ""


def classify_event(event: dict[str, Any]) -> Stop | None:
    """A service event that tells why tasks stopped (or are about to), else None."""
    message = event.get("message") or ""
    if CONTAINER_FAILED in message:
        cause = "container-health-check"
    elif ELB_FAILED in message or _UNHEALTHY_IN_TG.search(message):
        cause = "elb-health-check"
    elif _FAILED_LAUNCH in message:
        cause = "failed-to-start"
    else:
        return None
    found = _TASK_IN_EVENT.search(message)
    return Stop(cause, "event", found.group(1) if found else None, event.get("createdAt"),
                stopped_reason=message, detail=message)


# ------------------------------------------------------------------ collection

def collect(aws: Aws, live: Live, start: datetime, end: datetime,
            by_cluster: bool = True) -> list[ServiceStops]:
    """The stops of every service. `by_cluster`: list each cluster's stopped tasks once (every
    service of the cluster is audited), else each service's own."""
    results = [ServiceStops(s) for s in live.services]
    if by_cluster:
        groups: dict[str, list[ServiceStops]] = {}
        for r in results:
            groups.setdefault(r.service.service.cluster.address, []).append(r)
        lists = [(rs, f"stopped tasks of cluster {rs[0].service.cluster} (ECS901, ECS902, stop "
                      "causes)", {"cluster": address})
                 for address, rs in groups.items()]
    else:
        lists = [([r], f"stopped tasks of service {r.service.label} (ECS901, ECS902, stop "
                       "causes)", {"cluster": r.service.service.cluster.address,
                                   "serviceName": r.service.service.name}) for r in results]

    def list_tasks(item: tuple) -> list[dict] | None:
        _, what, params = item
        return aws.pages("ecs", "list_tasks", what, desiredStatus="STOPPED", **params)

    describes = []  # (services, what, cluster, chunk of task ARNs)
    for (rs, what, params), pages in zip(lists, aws.map(list_tasks, lists), strict=True):
        if pages is None:
            for r in rs:
                r.verified = False
        arns = sorted(a for page in pages or [] for a in page.get("taskArns", []))
        describes += [(rs, what, params["cluster"], chunk) for chunk in chunks(arns, 100)]

    def describe(item: tuple) -> dict | None:
        _, what, cluster, chunk = item
        return aws.call("ecs", "describe_tasks", what, cluster=cluster, tasks=chunk)

    for (rs, _, _, _), found in zip(describes, aws.map(describe, describes), strict=True):
        if found is None:
            for r in rs:
                r.verified = False
            continue
        by_group = {f"service:{r.service.service.name}": r for r in rs}
        for task in found.get("tasks", []):
            # Tasks of a service are in group "service:<name>"; anything else is not its own.
            # ListTasks by service name vouches for a task without a group.
            group = task.get("group", None if by_cluster else next(iter(by_group)))
            if group in by_group:
                _add_task(by_group[group], task, start, end)
    for r in results:
        _add_events(r, start, end)
        r.stops.sort(key=Stop.sort_key)
    return results


def _essential(live: LiveService) -> frozenset[str] | None:
    td = live.service.task_definition
    if td is None or not isinstance(td.containers, list):
        return None
    names = [c.name for c in td.containers if c.essential is True]
    return frozenset(names) if all(isinstance(n, str) for n in names) else None


def _within(when: Any, start: datetime, end: datetime) -> bool:
    # A task without a stop time is still stopping: recent by definition.
    return not isinstance(when, datetime) or start <= when <= end


def _add_task(out: ServiceStops, task: dict[str, Any], start: datetime, end: datetime) -> None:
    same_revision = task.get("taskDefinitionArn") == out.service.task_definition_arn
    stop = classify(task, _essential(out.service) if same_revision else None)
    if _within(stop.stopped_at, start, end):
        out.stops.append(stop)


def _add_events(out: ServiceStops, start: datetime, end: datetime) -> None:
    seen = {s.task for s in out.stops}
    for event in out.service.events:
        stop = classify_event(event)
        if stop is not None and stop.task not in seen and _within(stop.stopped_at, start, end) \
                and isinstance(stop.stopped_at, datetime):
            out.stops.append(stop)


# ------------------------------------------------------------------ findings

def _latest(stops: list[Stop]) -> str:
    first = stops[0]  # newest first
    parts = [f"latest {iso(first.stopped_at)}"] if first.stopped_at else []
    if first.task:
        parts.append(f"task {first.task}")
    return ", ".join(parts) or "time unknown"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def findings(results: Iterable[ServiceStops], options: Options, window: str,
             peaks: Callable[[ServiceStops, Stop], str] | None = None) -> list[Finding]:
    """ECS901/ECS902. `peaks` tells the containers' CPU and memory peaks of a stop, for the
    message of an ELB health-check kill."""
    out = []
    for result in results:
        svc = result.service.service
        where = Location(svc.address)
        by_container: dict[str, list[Stop]] = {}
        for stop in result.stops:
            for name in stop.oom_containers():
                by_container.setdefault(name, []).append(stop)
        for name, stops in sorted(by_container.items()):
            out.append(make_finding("ECS901", (
                f"service '{svc.name}': container '{name}' was OOM-killed (OutOfMemoryError) "
                f"in {_plural(len(stops), 'stopped task')} in the last {window} "
                f"({_latest(stops)}): it reached its memory limit{_limits(svc, name)}; raise "
                "the limit or find what grows"), where, svc.address, name))
        for cause, kind in (("elb-health-check", "ELB"), ("container-health-check", "container")):
            stops = [s for s in result.stops if s.cause == cause]
            if stops:
                message = _health_message(svc, stops, kind, window, options)
                seen = peaks(result, stops[0]) if peaks and kind == "ELB" else ""
                out.append(make_finding("ECS902", message + (f"; {seen}" if seen else ""),
                                        where, svc.address))
    return out


def _limits(svc: Service, container_name: str) -> str:
    td = svc.task_definition
    container = td.container(container_name) if td is not None else None
    parts = []
    if container is not None and is_number(container.memory):
        parts.append(f"container memory {container.memory} MiB")
    if td is not None and is_number(td.memory):
        parts.append(f"task memory {td.memory} MiB")
    return f" (current revision: {', '.join(parts)})" if parts else ""


def _health_message(svc: Service, stops: list[Stop], kind: str, window: str,
                    options: Options) -> str:
    tasks = sum(1 for s in stops if s.source == "task")
    events = len(stops) - tasks
    parts = []
    if tasks:
        parts.append(f"{_plural(tasks, 'task')} stopped after failing {kind} health checks")
    if events:
        parts.append(f"{_plural(events, 'service event')} reported failing {kind} health "
                     "checks")
    head = f"service '{svc.name}': {' and '.join(parts)} in the last {window} ({_latest(stops)}); "
    cpu = svc.max_cpu_utilization
    threshold = float(service_option(options, "cpu_saturation", svc, svc.task_definition))
    if not is_number(cpu):
        tail = ("maximum CPUUtilization in the window unknown (no CloudWatch data), so CPU "
                "starvation cannot be ruled out")
    elif cpu >= threshold:
        tail = (f"maximum CPUUtilization in the window {cpu:g}%: at or near 100% this points "
                "to CPU starvation (health checks time out while the task is pinned at its "
                "CPU limit), not memory; give the task more cpu or scale out on CPU")
    else:
        tail = (f"maximum CPUUtilization in the window {cpu:g}% (below {threshold:g}%): not "
                "CPU starvation; check the health-check path, its dependencies and the "
                "start-up time against the grace period")
    if any(s.sigkilled() for s in stops):
        tail += "; exit code 137 here is SIGKILL after the stop timeout, not an OOM kill"
    return head + tail
