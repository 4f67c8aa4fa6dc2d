"""Terse factories for model objects in rule tests.

Values are given as a user would write them and converted as every source converts them
(ecslint.unknown and the task-size parser), so "2 GB" or "512" work as in Terraform.
"""

from __future__ import annotations

from typing import Any, Iterable

from ecslint.checks.base import DEFAULT_OPTIONS, Options, Problem, Rule
from ecslint.model import (
    AccountSetting, AppScalingPolicy, AutoScalingGroup, AutoScalingPolicy, CapacityProvider,
    Cluster, Container, ContainerHealthCheck, EcsModel, Entity, LoadBalancerAttachment,
    Location, MetricAlarm, ScalableTarget, Service, TargetGroup, TargetGroupHealthCheck,
    TaskDefinition, is_unknown)
from ecslint.sources.taskdef import parse_cpu, parse_memory
from ecslint.unknown import boolean, number

_LISTS = {
    TaskDefinition: "task_definitions", Service: "services", Cluster: "clusters",
    TargetGroup: "target_groups", CapacityProvider: "capacity_providers",
    AutoScalingGroup: "auto_scaling_groups", AutoScalingPolicy: "autoscaling_policies",
    MetricAlarm: "alarms", ScalableTarget: "scalable_targets",
    AccountSetting: "account_settings",
}


WHERE = Location("main.tf", 1, 1)


def _numbers(fields: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: number(v) if k in names else v for k, v in fields.items()}


def container(name: str = "app", image: Any = "nginx:1.27", **fields: Any) -> Container:
    fields = _numbers(fields, "cpu", "memory", "memory_reservation")
    if "essential" in fields:
        fields["essential"] = boolean(fields["essential"], True)
    return Container(address=name, where=WHERE, name=name, image=image, **fields)


def health_check(**fields: Any) -> ContainerHealthCheck:
    return ContainerHealthCheck(command=["CMD-SHELL", "curl -f localhost/health"],
                                **_numbers(fields, "interval", "timeout", "retries",
                                           "start_period"))


def task(*containers: Container, family: str = "app", compat: Iterable[str] | None = ("EC2",),
         **fields: Any) -> TaskDefinition:
    """A task definition; `compat` is requires_compatibilities (None: absent)."""
    address = f"aws_ecs_task_definition.{family}"
    fields.setdefault("containers", list(containers))
    rc = fields.pop("requires_compatibilities", list(compat) if compat is not None else None)
    if "cpu" in fields:
        fields["cpu"] = parse_cpu(fields["cpu"])
    if "memory" in fields:
        fields["memory"] = parse_memory(fields["memory"])
    return TaskDefinition(address=address, where=WHERE, family=family,
                          requires_compatibilities=rc, **fields)


def target_group(name: str = "web", protocol: Any = "HTTP", **fields: Any) -> TargetGroup:
    address = f"aws_lb_target_group.{name}"
    return TargetGroup(address=address, where=WHERE, name=name, protocol=protocol,
                       **fields)


def tg_health_check(**fields: Any) -> TargetGroupHealthCheck:
    if "enabled" in fields:
        fields["enabled"] = boolean(fields["enabled"], True)
    return TargetGroupHealthCheck(**_numbers(fields, "interval", "timeout",
                                             "healthy_threshold", "unhealthy_threshold"))


def service(td: TaskDefinition | None = None, name: str = "svc",
            lbs: Iterable[tuple[TargetGroup | None, Any]] = (), **fields: Any) -> Service:
    """A service; `lbs` are (target group, container name) pairs."""
    address = f"aws_ecs_service.{name}"
    fields.setdefault("load_balancers", [
        LoadBalancerAttachment(tg, cname, 8080, f"load_balancers.{i}")
        for i, (tg, cname) in enumerate(lbs)])
    return Service(address=address, where=WHERE, name=name, task_definition=td, **fields)


def entity(kind: type[Entity], address: str, **fields: Any) -> Entity:
    """Any other entity: entity(Cluster, "aws_ecs_cluster.main", name="main")."""
    return kind(address=address, where=WHERE, **fields)


def app_policy(name: str = "cpu") -> AppScalingPolicy:
    address = f"aws_appautoscaling_policy.{name}"
    return AppScalingPolicy(address=address, where=WHERE,
                            policy_type="TargetTrackingScaling")


def model(*entities: Entity, live: bool = False) -> EcsModel:
    """A model holding the entities, plus the task definitions and target groups that the
    given services refer to."""
    m = EcsModel(live=live)

    def add(e: Entity) -> None:
        bucket = getattr(m, _LISTS[type(e)])
        if not any(x is e for x in bucket):
            bucket.append(e)

    for e in entities:
        add(e)
        if isinstance(e, Service):
            if e.task_definition is not None:
                add(e.task_definition)
            for lb in [] if is_unknown(e.load_balancers) else e.load_balancers:
                if lb.target_group is not None:
                    add(lb.target_group)
    return m


def options(per_service: dict[str, dict[str, Any]] | None = None, **values: Any) -> Options:
    return Options(values={**DEFAULT_OPTIONS, **values}, per_service=per_service or {})


def run(rule: Rule, m: EcsModel, opts: Options | None = None) -> list[Problem]:
    assert rule.check is not None
    return list(rule.check(m, opts or Options()))


def summary(problems: Iterable[Problem]) -> list[tuple[str, str | None, str | None]]:
    """(code, entity address or container name, path) per problem, for exact assertions."""
    return [(p.code, p.container.name if p.container is not None else p.entity.address,
             p.path) for p in problems]
