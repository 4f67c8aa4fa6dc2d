"""ECS3xx: cluster capacity scaling and service auto scaling."""

from __future__ import annotations

from typing import Any, Iterator

from ecslint.checks.base import Options, Problem, Rule
from ecslint.checks.common import is_number, quote
from ecslint.model import (
    UNKNOWN, AutoScalingGroup, EcsModel, MetricAlarm, ScalableTarget, Severity, is_unknown)

_RESERVATION_METRICS = frozenset({"CPUReservation", "MemoryReservation"})
# Live sources may list the built-in Fargate providers, which have no Auto Scaling group.
_FARGATE_PROVIDERS = frozenset({"FARGATE", "FARGATE_SPOT"})
_BLOCKING_PROCESSES = ("Launch", "AlarmNotification")


def _on_reservation(alarm: MetricAlarm) -> Any:
    """True for an alarm on AWS/ECS CPUReservation or MemoryReservation; may be UNKNOWN."""
    if is_unknown(alarm.namespace) or is_unknown(alarm.metric_name):
        return UNKNOWN
    return alarm.namespace == "AWS/ECS" and alarm.metric_name in _RESERVATION_METRICS


def _may_scale(alarm: MetricAlarm, group: AutoScalingGroup | None) -> bool:
    """Whether `alarm` may scale out `group`; anything unresolved counts as yes."""
    actions = alarm.alarm_actions
    if _on_reservation(alarm) is False or alarm.actions_enabled is False:
        return False
    if not is_unknown(actions) and not actions:
        return False
    if not alarm.policies:
        # Actions the source could not resolve to policies might still target the group.
        return is_unknown(actions) or any(is_unknown(a) for a in actions)
    return any(p.enabled is not False
               and (group is None or p.auto_scaling_group is None
                    or p.auto_scaling_group is group)
               for p in alarm.policies)


def _capacity_providers(model: EcsModel) -> Iterator[Problem]:
    for cp in model.capacity_providers:
        status = cp.managed_scaling_status
        if is_unknown(status) or status not in (None, "DISABLED"):
            continue
        if cp.name in _FARGATE_PROVIDERS or cp.uses_auto_scaling_group is not True:
            continue
        if any(_may_scale(alarm, cp.auto_scaling_group) for alarm in model.alarms):
            continue
        state = "has no managed_scaling" if status is None else \
            "has managed_scaling status DISABLED"
        yield Problem(
            "ECS301",
            f"capacity provider {quote(cp.name)} {state} and no enabled CPUReservation/"
            "MemoryReservation alarm scales its Auto Scaling group: the cluster adds no "
            "instances when tasks do not fit, so new tasks wait unplaced",
            cp, "managed_scaling_status")


def _alarms(model: EcsModel) -> Iterator[Problem]:
    seen: set[int] = set()
    for alarm in model.alarms:
        if _on_reservation(alarm) is not True:
            continue
        subject = f"{alarm.metric_name} alarm"
        if alarm.actions_enabled is False:
            yield Problem(
                "ECS301",
                f"{subject} has actions_enabled = false: it never triggers scale-out, so the "
                "cluster adds no instances when tasks do not fit",
                alarm, "actions_enabled")
        elif not is_unknown(alarm.alarm_actions) and not alarm.alarm_actions:
            yield Problem(
                "ECS301",
                f"{subject} has no alarm_actions: it never triggers scale-out, so the cluster "
                "adds no instances when tasks do not fit",
                alarm, "alarm_actions")
        for policy in alarm.policies:
            if policy.enabled is False and id(policy) not in seen:
                seen.add(id(policy))
                yield Problem(
                    "ECS301",
                    f"Auto Scaling policy is disabled (enabled = false) but {subject} "
                    f"{alarm.address} triggers it: the cluster adds no instances when tasks "
                    "do not fit",
                    policy, "enabled")


def _auto_scaling_groups(model: EcsModel) -> Iterator[Problem]:
    seen: set[int] = set()
    for cluster in model.clusters:
        for group in cluster.auto_scaling_groups:
            processes = group.suspended_processes
            if id(group) in seen or is_unknown(processes) or not processes:
                continue
            seen.add(id(group))
            blocked = [p for p in _BLOCKING_PROCESSES if p in processes]
            if blocked:
                yield Problem(
                    "ECS301",
                    f"Auto Scaling group of cluster {quote(cluster.name)} suspends "
                    f"{' and '.join(blocked)}: it never launches instances on a scale-out "
                    "alarm, so tasks that do not fit wait unplaced",
                    group, "suspended_processes")


def cluster_scaling_disabled(model: EcsModel, options: Options) -> Iterator[Problem]:
    yield from _capacity_providers(model)
    yield from _alarms(model)
    yield from _auto_scaling_groups(model)


def _maybe_unresolved_target(model: EcsModel) -> bool:
    """A scalable target whose resource_id does not say which service it scales might
    belong to any service (one whose service part is known names that service only)."""
    return any(t.service_namespace == "ecs" or is_unknown(t.service_namespace)
               for t in model.scalable_targets if is_unknown(t.service_name))


def service_autoscaling_missing(model: EcsModel, options: Options) -> Iterator[Problem]:
    for service in model.services:
        strategy, target = service.scheduling_strategy, service.scalable_target
        if is_unknown(strategy) or strategy == "DAEMON":
            continue
        if target is None and not _maybe_unresolved_target(model):
            yield Problem(
                "ECS302",
                f"service {quote(service.name)} has no aws_appautoscaling_target "
                "(ecs:service:DesiredCount): its task count is fixed, so a load peak "
                "saturates the running tasks",
                service)
        elif target is not None and not target.policies:
            yield Problem(
                "ECS302",
                f"scalable target of service {quote(service.name)} has no scaling policy: the "
                "task count never follows the load",
                target)


def _service_targets(model: EcsModel) -> Iterator[ScalableTarget]:
    targets = [s.scalable_target for s in model.services if s.scalable_target is not None]
    targets += [t for t in model.scalable_targets if t.service_namespace == "ecs"]
    seen: set[int] = set()
    for target in targets:
        if id(target) not in seen:
            seen.add(id(target))
            yield target


def service_autoscaling_suspended(model: EcsModel, options: Options) -> Iterator[Problem]:
    for target in _service_targets(model):
        if target.dynamic_scaling_out_suspended is True:
            yield Problem(
                "ECS303",
                "scalable target has dynamic_scaling_out_suspended = true: scaling policies "
                "never add tasks, so the service cannot scale out under load",
                target, "dynamic_scaling_out_suspended")
        low, high = target.min_capacity, target.max_capacity
        if is_number(low) and is_number(high) and high <= low:
            yield Problem(
                "ECS303",
                f"scalable target max_capacity {high:g} is not above min_capacity {low:g}: "
                "auto scaling can never add a task",
                target, "max_capacity", related=((target, "min_capacity",
                                                  f"min_capacity {low:g}"),))


ECS301 = Rule("ECS301", "cluster-scaling-disabled", Severity.ERROR,
              "Scale-out on reservation is off for EC2 capacity (managed scaling, alarm, "
              "policy or Auto Scaling group).", cluster_scaling_disabled)
ECS302 = Rule("ECS302", "service-autoscaling-missing", Severity.WARNING,
              "A REPLICA service has no service auto scaling target, or its target has no "
              "scaling policy.", service_autoscaling_missing)
ECS303 = Rule("ECS303", "service-autoscaling-suspended", Severity.ERROR,
              "A service's scalable target has scale-out suspended or max_capacity <= "
              "min_capacity.", service_autoscaling_suspended)
