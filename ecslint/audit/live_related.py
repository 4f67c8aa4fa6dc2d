"""Live resources around ECS: target groups, service and EC2 auto scaling, reservation alarms."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from ecslint.audit.aws import Aws, chunks
from ecslint.model import (UNKNOWN, AppScalingPolicy, AutoScalingGroup, AutoScalingPolicy,
                           Location, MetricAlarm, ScalableTarget, Service, TargetGroup,
                           TargetGroupHealthCheck, is_unknown)
from ecslint.sources.build import service_of_resource_id

_RESERVATION_METRICS = frozenset({"CPUReservation", "MemoryReservation"})
SERVICE_DIMENSION = "ecs:service:DesiredCount"


def at(arn: str) -> Location:
    return Location(arn, None, None)


def asg_name(arn: str) -> str:
    """`arn:...:autoScalingGroup:<uuid>:autoScalingGroupName/<name>` -> name."""
    return arn.rsplit("autoScalingGroupName/", 1)[-1].split(":", 1)[0]


# ------------------------------------------------------------------ ELB target groups

@dataclass
class TargetGroups:
    by_arn: dict[str, TargetGroup] = field(default_factory=dict)
    # target group ARN -> [(load balancer ARN, type)], for the TargetResponseTime metric
    load_balancers: dict[str, list[tuple[str, str | None]]] = field(default_factory=dict)


def target_groups(aws: Aws, arns: Iterable[str]) -> TargetGroups:
    out = TargetGroups()
    arns = sorted(set(arns))
    lb_arns: set[str] = set()
    def describe(chunk: list[str]) -> list[dict] | None:
        return aws.pages("elbv2", "describe_target_groups",
                         "target-group health checks (ECS201, ECS204, ECS905)",
                         TargetGroupArns=chunk)

    batches = list(chunks(arns, 20))
    for chunk, pages in zip(batches, aws.map(describe, batches), strict=True):
        if pages is None:
            for arn in chunk:
                out.by_arn[arn] = TargetGroup(address=arn, where=at(arn), source=arn,
                                              name=arn.split("/")[-2] if "/" in arn else arn,
                                              protocol=UNKNOWN, target_type=UNKNOWN,
                                              health_check=UNKNOWN)
            continue
        for raw in (tg for page in pages for tg in page.get("TargetGroups", [])):
            arn = raw["TargetGroupArn"]
            out.by_arn[arn] = TargetGroup(
                address=arn, where=at(arn), source=arn, name=raw.get("TargetGroupName"),
                protocol=raw.get("Protocol"), target_type=raw.get("TargetType"),
                health_check=TargetGroupHealthCheck(
                    enabled=raw.get("HealthCheckEnabled", True),
                    interval=raw.get("HealthCheckIntervalSeconds"),
                    timeout=raw.get("HealthCheckTimeoutSeconds"),
                    healthy_threshold=raw.get("HealthyThresholdCount"),
                    unhealthy_threshold=raw.get("UnhealthyThresholdCount"),
                    protocol=raw.get("HealthCheckProtocol")))
            out.load_balancers[arn] = [(lb, None) for lb in sorted(raw.get("LoadBalancerArns", []))]
            lb_arns.update(raw.get("LoadBalancerArns", []))
    types = _load_balancer_types(aws, sorted(lb_arns))
    for arn, lbs in out.load_balancers.items():
        out.load_balancers[arn] = [(lb, types.get(lb)) for lb, _ in lbs]
        known = [t for _, t in out.load_balancers[arn] if t]
        if known:
            out.by_arn[arn].load_balancer_type = known[0]
    return out


def _load_balancer_types(aws: Aws, arns: list[str]) -> dict[str, str]:
    def describe(chunk: list[str]) -> list[dict] | None:
        return aws.pages("elbv2", "describe_load_balancers",
                         "load balancer types (NLB health-check defaults, TargetResponseTime)",
                         LoadBalancerArns=chunk)

    types: dict[str, str] = {}
    for pages in aws.map(describe, list(chunks(arns, 20))):
        for lb in (lb for page in pages or [] for lb in page.get("LoadBalancers", [])):
            types[lb["LoadBalancerArn"]] = lb.get("Type")
    return types


# ------------------------------------------------------------------ service auto scaling

def scalable_targets(aws: Aws, services: dict[str, Service]) -> list[ScalableTarget]:
    """Targets of the services (by resource id `service/<cluster>/<name>`), linked to them."""
    def describe(chunk: list[str]) -> list[dict] | None:
        return aws.pages("application-autoscaling", "describe_scalable_targets",
                         "service auto scaling targets (ECS302, ECS303)",
                         ServiceNamespace="ecs", ResourceIds=chunk,
                         ScalableDimension=SERVICE_DIMENSION)

    found: list[ScalableTarget] = []
    for pages in aws.map(describe, list(chunks(sorted(services), 50))):
        if pages is None:
            # A target we could not see may belong to any service: ECS302 stays silent.
            found.append(ScalableTarget(
                address="application-autoscaling:ecs (not verified)",
                where=at("application-autoscaling:ecs"), resource_id=UNKNOWN,
                service_namespace="ecs", scalable_dimension=SERVICE_DIMENSION,
                cluster_name=UNKNOWN, service_name=UNKNOWN))
            continue
        for raw in (t for page in pages for t in page.get("ScalableTargets", [])):
            rid = raw["ResourceId"]
            address = raw.get("ScalableTargetARN") or f"application-autoscaling:ecs:{rid}"
            suspended = raw.get("SuspendedState") or {}
            target = ScalableTarget(
                address=address, where=at(address), source=address, resource_id=rid,
                service_namespace=raw.get("ServiceNamespace"),
                scalable_dimension=raw.get("ScalableDimension"),
                min_capacity=raw.get("MinCapacity"), max_capacity=raw.get("MaxCapacity"),
                dynamic_scaling_out_suspended=suspended.get("DynamicScalingOutSuspended",
                                                            False))
            target.cluster_name, target.service_name = service_of_resource_id(rid)
            if rid in services:
                services[rid].scalable_target = target
            found.append(target)
    targets = [t for t in found if not is_unknown(t.resource_id)]
    for target, policies in zip(targets, aws.map(lambda t: _scaling_policies(aws, t.resource_id),
                                                 targets), strict=True):
        target.policies = policies
    return found


def _scaling_policies(aws: Aws, resource_id: str) -> list[AppScalingPolicy]:
    pages = aws.pages("application-autoscaling", "describe_scaling_policies",
                      f"scaling policies of {resource_id} (ECS302)", ServiceNamespace="ecs",
                      ResourceId=resource_id, ScalableDimension=SERVICE_DIMENSION)
    if pages is None:
        # Unknown policies: the target is not reported as having none.
        return [AppScalingPolicy(address=f"{resource_id} policies (not verified)",
                                 where=at(resource_id), policy_type=UNKNOWN)]
    return [AppScalingPolicy(address=p["PolicyARN"], where=at(p["PolicyARN"]),
                             source=p["PolicyARN"], policy_type=p.get("PolicyType"))
            for page in pages for p in page.get("ScalingPolicies", [])]


# ------------------------------------------------------------------ EC2 Auto Scaling

def reservation_alarms(aws: Aws, cluster_names: set[str]) -> list[tuple[MetricAlarm, str]]:
    """CPUReservation/MemoryReservation alarms on the clusters, with their cluster name."""
    pages = aws.pages("cloudwatch", "describe_alarms",
                      "CPUReservation/MemoryReservation scale-out alarms (ECS301)",
                      AlarmTypes=["MetricAlarm"])
    if pages is None:
        # An alarm we could not read might scale any group: ECS301 stays silent on providers.
        unknown = MetricAlarm(address="cloudwatch alarms (not verified)",
                              where=at("cloudwatch alarms"), namespace=UNKNOWN,
                              metric_name=UNKNOWN, actions_enabled=UNKNOWN,
                              alarm_actions=UNKNOWN)
        return [(unknown, "")]
    out = []
    for raw in (a for page in pages for a in page.get("MetricAlarms", [])):
        if raw.get("Namespace") != "AWS/ECS" or raw.get("MetricName") not in _RESERVATION_METRICS:
            continue
        dims = {d["Name"]: d["Value"] for d in raw.get("Dimensions", [])}
        cluster = dims.get("ClusterName")
        if cluster not in cluster_names:
            continue
        arn = raw["AlarmArn"]
        out.append((MetricAlarm(address=arn, where=at(arn), source=arn,
                                namespace=raw["Namespace"], metric_name=raw["MetricName"],
                                actions_enabled=raw.get("ActionsEnabled", True),
                                alarm_actions=list(raw.get("AlarmActions", []))), cluster))
    return sorted(out, key=lambda pair: pair[0].address)


def scaling_policies(aws: Aws, action_arns: Iterable[str]) -> dict[str, AutoScalingPolicy]:
    """EC2 Auto Scaling policies named by alarm actions, by policy ARN."""
    wanted: dict[str, dict[str, str]] = {}  # group -> policy name -> ARN
    for arn in sorted(set(action_arns)):
        if ":autoscaling:" in arn and ":scalingPolicy:" in arn and ":policyName/" in arn:
            wanted.setdefault(asg_name(arn), {})[arn.rsplit(":policyName/", 1)[-1]] = arn
    def describe(item: tuple[str, dict[str, str]]) -> list[dict] | None:
        group, names = item
        return aws.pages("autoscaling", "describe_policies",
                         f"scaling policies of Auto Scaling group {group} (ECS301)",
                         AutoScalingGroupName=group, PolicyNames=sorted(names))

    out: dict[str, AutoScalingPolicy] = {}
    groups = sorted(wanted.items())
    for (group, names), pages in zip(groups, aws.map(describe, groups), strict=True):
        if pages is None:
            for arn in names.values():
                out[arn] = AutoScalingPolicy(address=arn, where=at(arn), source=arn,
                                             enabled=UNKNOWN)
            continue
        for raw in (p for page in pages for p in page.get("ScalingPolicies", [])):
            arn = names.get(raw.get("PolicyName"), raw.get("PolicyARN"))
            # `Enabled` is omitted by some API versions; the API default is enabled.
            out[arn] = AutoScalingPolicy(address=raw.get("PolicyARN", arn),
                                         where=at(raw.get("PolicyARN", arn)), source=arn,
                                         enabled=raw.get("Enabled", True))
    return out


def auto_scaling_groups(aws: Aws, names: Iterable[str]) -> dict[str, AutoScalingGroup]:
    def describe(chunk: list[str]) -> list[dict] | None:
        return aws.pages("autoscaling", "describe_auto_scaling_groups",
                         f"Auto Scaling groups {', '.join(chunk)} (ECS301 suspended processes)",
                         AutoScalingGroupNames=chunk)

    out: dict[str, AutoScalingGroup] = {}
    batches = list(chunks(sorted(set(names)), 50))
    for chunk, pages in zip(batches, aws.map(describe, batches), strict=True):
        if pages is None:
            for name in chunk:
                out[name] = AutoScalingGroup(address=name, where=at(name), name=name,
                                             suspended_processes=UNKNOWN)
            continue
        for raw in (g for page in pages for g in page.get("AutoScalingGroups", [])):
            arn = raw.get("AutoScalingGroupARN") or raw["AutoScalingGroupName"]
            out[raw["AutoScalingGroupName"]] = AutoScalingGroup(
                address=arn, where=at(arn), source=arn, name=raw["AutoScalingGroupName"],
                min_size=raw.get("MinSize"), max_size=raw.get("MaxSize"),
                suspended_processes=sorted(p["ProcessName"]
                                           for p in raw.get("SuspendedProcesses", [])))
    return out
