"""ECS2xx: the CPU behind health checks, and the health-check settings themselves."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterator

from ecslint.checks.base import Options, Problem, Rule
from ecslint.checks.common import containers, is_number, quote, service_option, services_of
from ecslint.model import (
    Container, ContainerHealthCheck, EcsModel, Entity, Service, Severity, TargetGroup,
    TargetGroupHealthCheck, TaskDefinition, is_unknown)

CONTAINER_TIMEOUT = 5  # container healthCheck.timeout default (s)
CONTAINER_INTERVAL = 30
TARGET_GROUP_INTERVAL = 30
_NLB_PROTOCOLS = frozenset({"TCP", "TLS", "UDP", "TCP_UDP"})

# (health-check model field, its name in messages, AWS minimum, maximum)
Ranges = tuple[tuple[str, str, int, int], ...]
_TARGET_GROUP_RANGES: Ranges = (
    ("interval", "health_check.interval", 5, 300),
    ("timeout", "health_check.timeout", 2, 120),
    ("healthy_threshold", "health_check.healthy_threshold", 2, 10),
    ("unhealthy_threshold", "health_check.unhealthy_threshold", 2, 10),
)
_CONTAINER_RANGES: Ranges = (
    ("interval", "healthCheck.interval", 5, 300),
    ("timeout", "healthCheck.timeout", 2, 60),
    ("retries", "healthCheck.retries", 1, 10),
    ("start_period", "healthCheck.startPeriod", 0, 300),
)


def serving_cpu(td: TaskDefinition, container: Container) -> float | None:
    """q: the vCPU available to `container`, or None when it cannot be known."""
    cs = containers(td)
    task_cpu, own = td.cpu, container.cpu
    if cs is None or is_unknown(task_cpu) or is_unknown(own):
        return None
    if task_cpu is None:
        # EC2 without a task cap: the container's shares are what it gets on a busy host.
        return own / 1024 if is_number(own) and own > 0 else None
    cpus = [c.cpu for c in cs]
    if task_cpu <= 0 or any(is_unknown(x) for x in cpus):
        return None
    q = task_cpu / 1024
    if all(is_number(x) and x > 0 for x in cpus):
        q *= own / sum(cpus)
    return q


@dataclass(frozen=True)
class Latency:
    """L = C / min(q, 1) / (1 - p): a C ms request on q vCPU at peak utilization p."""

    q: float
    cpu_ms: float
    peak: float

    @property
    def seconds(self) -> float:
        if self.peak >= 1:
            return math.inf
        return self.cpu_ms / 1000 / min(self.q, 1) / (1 - self.peak)

    def describe(self) -> str:
        expected = "unbounded" if math.isinf(self.seconds) else f"{self.seconds:.1f} s"
        return (f"the expected latency {expected} of a {self.cpu_ms:g} ms request at "
                f"{self.q:g} vCPU and {self.peak * 100:g}% utilization "
                "(L = C / min(q,1) / (1-p))")


def _cpu_places(td: TaskDefinition, container: Container) -> tuple:
    """The cpu values that decided q (Problem.related)."""
    out = []
    if td.cpu is not None:
        out.append((td, "cpu", f"task cpu {td.cpu:g}"))
    if is_number(container.cpu):
        out.append((container, "cpu", f"container {quote(container.name)} cpu {container.cpu:g}"))
    return tuple(out)


def latency(options: Options, service: Service | None, td: TaskDefinition, q: float) -> Latency:
    cpu_ms = float(service_option(options, "health_check_cpu_ms", service, td))
    peak = float(service_option(options, "peak_utilization", service, td))
    observed = service.max_cpu_utilization if service is not None else None
    if is_number(observed) and observed / 100 > peak:
        peak = observed / 100
    return Latency(q, cpu_ms, peak)


def target_group_default_timeout(tg: TargetGroup) -> int | None:
    """AWS default health-check timeout for a target group, None when it cannot be told."""
    hc = tg.health_check
    protocol = hc.protocol if isinstance(hc, TargetGroupHealthCheck) else None
    if protocol is None:
        protocol = tg.protocol
    if not isinstance(protocol, str) or is_unknown(tg.protocol):
        return None
    # TCP/TLS/UDP target groups only exist on Network Load Balancers.
    network = tg.load_balancer_type == "network" or str(tg.protocol).upper() in _NLB_PROTOCOLS
    if protocol in _NLB_PROTOCOLS or (network and protocol == "HTTPS"):
        return 10
    if protocol in ("HTTP", "HTTPS"):
        return 6 if network else 5
    return None


def _target_group_timeout(tg: TargetGroup) -> Any:
    """The effective timeout of an enabled health check; None when unknown or disabled."""
    hc = tg.health_check
    if is_unknown(hc):
        return None
    if hc is not None:
        if is_unknown(hc.enabled) or hc.enabled is False:
            return None
        timeout = hc.timeout
        if timeout is not None:
            return timeout if is_number(timeout) else None
    return target_group_default_timeout(tg)


@dataclass(frozen=True)
class _Timeout:
    """One health-check timeout to hold against the latency of the container it probes."""

    subject: str
    timeout: float
    latency: Latency
    entity: Entity
    path: str
    container: Container | None = None
    cpu: tuple = ()  # the cpu values that decided q, as Problem.related


def _target_group_timeouts(model: EcsModel, options: Options) -> Iterator[_Timeout]:
    for service in model.services:
        td = service.task_definition
        if td is None or is_unknown(service.load_balancers):
            continue
        for lb in service.load_balancers:
            container = td.container(lb.container_name)
            if lb.target_group is None or container is None:
                continue
            timeout, q = _target_group_timeout(lb.target_group), serving_cpu(td, container)
            if timeout is not None and q is not None:
                yield _Timeout("target group", timeout, latency(options, service, td, q),
                               lb.target_group, "health_check.timeout",
                               cpu=_cpu_places(td, container))


def _container_timeouts(model: EcsModel, options: Options) -> Iterator[_Timeout]:
    for td in model.task_definitions:
        runners: list[Service | None] = list(services_of(model, td)) or [None]
        for c in containers(td) or ():
            hc = c.health_check
            if not isinstance(hc, ContainerHealthCheck):
                continue
            timeout = CONTAINER_TIMEOUT if hc.timeout is None else hc.timeout
            q = serving_cpu(td, c)
            if not is_number(timeout) or q is None:
                continue
            for service in runners:
                yield _Timeout(f"container {quote(c.name)}", timeout,
                               latency(options, service, td, q), c, "health_check.timeout", c,
                               _cpu_places(td, c))


def health_check_timeout_below_latency(model: EcsModel, options: Options) -> Iterator[Problem]:
    # A target group or task definition shared by several services is reported once, for
    # the service where the latency is worst.
    worst: dict[tuple[int, str], _Timeout] = {}
    for t in (*_target_group_timeouts(model, options), *_container_timeouts(model, options)):
        key = (id(t.entity), t.path)
        if key not in worst or t.latency.seconds > worst[key].latency.seconds:
            worst[key] = t
    for t in worst.values():
        expected = t.latency.seconds
        if t.timeout <= expected or math.isclose(t.timeout, expected):
            yield Problem(
                "ECS201",
                f"{t.subject} health-check timeout {t.timeout:g} s is at most "
                f"{t.latency.describe()}",
                t.entity, t.path, t.container, t.cpu)


def cpu_unset(model: EcsModel, options: Options) -> Iterator[Problem]:
    for td in model.task_definitions:
        if td.ec2 is not True or td.cpu is not None:
            continue
        for c in containers(td) or ():
            if c.essential is True and (c.cpu is None or c.cpu == 0):
                yield Problem(
                    "ECS202",
                    f"essential container {quote(c.name)} has no cpu and the task no task-level "
                    "cpu: ECS gives it 2 CPU shares, so under host contention it gets almost "
                    "no CPU and its health checks time out",
                    c, "cpu", c)


def _start_period(service: Service) -> tuple[float, Container] | None:
    """The longest healthCheck.startPeriod among the containers behind the load balancers."""
    td = service.task_definition
    periods = []
    for lb in service.load_balancers:
        container = td.container(lb.container_name) if td is not None else None
        hc = container.health_check if container is not None else None
        period = hc.start_period if isinstance(hc, ContainerHealthCheck) else None
        if is_number(period):
            periods.append((period, container))
    return max(periods, key=lambda p: p[0], default=None)


def health_check_grace_period_missing(model: EcsModel, options: Options) -> Iterator[Problem]:
    for service in model.services:
        lbs, grace = service.load_balancers, service.health_check_grace_period
        if is_unknown(lbs) or not lbs or is_unknown(grace):
            continue
        path = "health_check_grace_period"
        if grace is None or grace == 0:
            state = "unset" if grace is None else "0"
            yield Problem(
                "ECS203",
                f"service {quote(service.name)} has a load balancer but "
                f"health_check_grace_period_seconds is {state}: failed health checks count "
                "from the moment a task starts, so a slow-starting task is stopped before it "
                "is ready",
                service, path)
            continue
        start = _start_period(service)
        if start is not None and grace < start[0]:
            yield Problem(
                "ECS203",
                f"health_check_grace_period_seconds {grace:g} is shorter than container "
                f"{quote(start[1].name)} healthCheck.startPeriod {start[0]:g} s: the load "
                "balancer can stop the task while it is still starting",
                service, path, related=((start[1], "health_check.start_period",
                                         f"startPeriod {start[0]:g} s"),))


def _out_of_range(subject: str, hc: Any, ranges: Ranges, entity: Entity, consequence: str,
                  container: Container | None = None) -> Iterator[Problem]:
    for field, label, low, high in ranges:
        value = getattr(hc, field)
        if is_number(value) and not low <= value <= high:
            yield Problem(
                "ECS204",
                f"{subject} {label} {value:g} is outside the AWS range {low}-{high}: "
                f"{consequence}",
                entity, f"health_check.{field}", container)


def _timeout_not_below_interval(subject: str, timeout: Any, interval: Any, entity: Entity,
                                path: str, consequence: str,
                                container: Container | None = None) -> Iterator[Problem]:
    if is_number(timeout) and is_number(interval) and timeout >= interval:
        yield Problem(
            "ECS204",
            f"{subject} health-check timeout {timeout:g} s is not below its interval "
            f"{interval:g} s: {consequence}",
            entity, path, container, ((entity, "health_check.interval",
                                       f"interval {interval:g} s"),))


def _target_group_settings(tg: TargetGroup) -> Iterator[Problem]:
    hc = tg.health_check
    # No block: AWS defaults, all valid. A disabled health check is not checked.
    if not isinstance(hc, TargetGroupHealthCheck):
        return
    if is_unknown(hc.enabled) or hc.enabled is False:
        return
    rejected = "AWS rejects the target group"
    yield from _out_of_range("target group", hc, _TARGET_GROUP_RANGES, tg, rejected)
    timeout, interval = hc.timeout, hc.interval
    timeout = target_group_default_timeout(tg) if timeout is None else timeout
    interval = TARGET_GROUP_INTERVAL if interval is None else interval
    yield from _timeout_not_below_interval("target group", timeout, interval, tg,
                                           "health_check.timeout", rejected)


def _container_settings(c: Container) -> Iterator[Problem]:
    hc = c.health_check
    if not isinstance(hc, ContainerHealthCheck):
        return
    subject = f"container {quote(c.name)}"
    yield from _out_of_range(subject, hc, _CONTAINER_RANGES, c, "registration fails", c)
    timeout, interval = hc.timeout, hc.interval
    timeout = CONTAINER_TIMEOUT if timeout is None else timeout
    interval = CONTAINER_INTERVAL if interval is None else interval
    yield from _timeout_not_below_interval(
        subject, timeout, interval, c, "health_check.timeout",
        "the next check starts before a slow one has timed out", c)


def health_check_settings_invalid(model: EcsModel, options: Options) -> Iterator[Problem]:
    for tg in model.target_groups:
        yield from _target_group_settings(tg)
    for td in model.task_definitions:
        for c in containers(td) or ():
            yield from _container_settings(c)


ECS201 = Rule("ECS201", "health-check-timeout-below-latency", Severity.WARNING,
              "A health-check timeout is at most the latency expected at the serving "
              "container's CPU and peak utilization.", health_check_timeout_below_latency)
ECS202 = Rule("ECS202", "cpu-unset", Severity.WARNING,
              "An essential container of an EC2 task without task cpu has no cpu, so it gets "
              "2 CPU shares under contention.", cpu_unset)
ECS203 = Rule("ECS203", "health-check-grace-period-missing", Severity.WARNING,
              "A load-balanced service has no health-check grace period, or one shorter than "
              "the container's startPeriod.", health_check_grace_period_missing)
ECS204 = Rule("ECS204", "health-check-settings-invalid", Severity.ERROR,
              "A target group or container health check has timeout >= interval or values "
              "outside the AWS ranges.", health_check_settings_invalid)
