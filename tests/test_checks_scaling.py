"""ECS301-ECS303: cluster capacity scaling and service auto scaling."""

from __future__ import annotations

import pytest

from ecslint.checks.scaling import ECS301, ECS302, ECS303
from ecslint.model import (
    UNKNOWN, AutoScalingGroup, AutoScalingPolicy, CapacityProvider, Cluster, MetricAlarm,
    ScalableTarget, Unknown)
from ecslint.sources.build import service_of_resource_id
from ecslint.unknown import UNKNOWN_MARK, PartlyKnown
from modelkit import app_policy, entity, model, run, service, summary, task

CP = "aws_ecs_capacity_provider.ec2"


def asg(name="nodes", **fields):
    return entity(AutoScalingGroup, f"aws_autoscaling_group.{name}", name=name, **fields)


def provider(status=None, group=None, name="ec2"):
    return entity(CapacityProvider, f"aws_ecs_capacity_provider.{name}", name=name,
                  managed_scaling_status=status, auto_scaling_group=group)


def policy(group, enabled=True, name="up"):
    return entity(AutoScalingPolicy, f"aws_autoscaling_policy.{name}", enabled=enabled,
                  auto_scaling_group=group)


def alarm(*policies, metric="CPUReservation", namespace="AWS/ECS", name="cpu", **fields):
    fields.setdefault("alarm_actions", ["arn:aws:autoscaling:policy/up"] if policies else None)
    return entity(MetricAlarm, f"aws_cloudwatch_metric_alarm.{name}", namespace=namespace,
                  metric_name=metric, policies=list(policies), **fields)


# ECS301 cluster-scaling-disabled: capacity providers ------------------------------------

@pytest.mark.parametrize("status, path, text", [
    (None, "managed_scaling_status", "capacity provider 'ec2' has no managed_scaling"),
    ("DISABLED", "managed_scaling_status", "has managed_scaling status DISABLED"),
])
def test_ecs301_capacity_provider_without_managed_scaling(status, path, text):
    problems = run(ECS301, model(provider(status, asg())))
    assert summary(problems) == [("ECS301", CP, path)]
    assert text in problems[0].message


@pytest.mark.parametrize("cp", [
    provider("ENABLED", asg()),
    provider(UNKNOWN, asg()),
    provider(None, None, name="FARGATE"),
    provider(None, None, name="FARGATE_SPOT"),
])
def test_ecs301_capacity_provider_silent(cp):
    assert run(ECS301, model(cp)) == []


def test_ecs301_capacity_provider_scaled_by_reservation_alarm_is_silent():
    group = asg()
    assert run(ECS301, model(provider(None, group), alarm(policy(group)))) == []
    memory = alarm(policy(group), metric="MemoryReservation")
    assert run(ECS301, model(provider("DISABLED", group), memory)) == []


@pytest.mark.parametrize("scaler", [
    alarm(policy(asg("other"))),
    alarm(policy(asg()), metric="CPUUtilization"),
    alarm(policy(asg()), namespace="AWS/EC2"),
    alarm(policy(asg()), alarm_actions=[]),
])
def test_ecs301_capacity_provider_alarm_that_does_not_scale_its_group(scaler):
    assert summary(run(ECS301, model(provider(None, asg()), scaler)))[0] == (
        "ECS301", CP, "managed_scaling_status")


def test_ecs301_capacity_provider_unresolved_relations_are_silent():
    group = asg()
    assert run(ECS301, model(provider(None, None), alarm(policy(group)))) == []
    assert run(ECS301, model(provider(None, group), alarm(policy(None)))) == []
    assert run(ECS301, model(provider(None, group), alarm(policy(group), metric=UNKNOWN))) == []
    maybe_on = alarm(policy(group), actions_enabled=UNKNOWN)
    assert run(ECS301, model(provider(None, group), maybe_on)) == []
    assert run(ECS301, model(provider(None, group), alarm(policy(group, enabled=UNKNOWN)))) == []
    unresolved = alarm(alarm_actions=[Unknown(frozenset({"aws_autoscaling_policy.up"}))])
    assert run(ECS301, model(provider(None, group), unresolved)) == []


def test_ecs301_disabled_alarm_or_policy_reported_with_the_capacity_provider():
    group = asg()
    off = policy(group, enabled=False)
    problems = run(ECS301, model(provider(None, group), alarm(off)))
    assert summary(problems) == [("ECS301", CP, "managed_scaling_status"),
                                 ("ECS301", "aws_autoscaling_policy.up", "enabled")]
    off_alarm = alarm(policy(group), actions_enabled=False)
    problems = run(ECS301, model(provider(None, group), off_alarm))
    assert summary(problems) == [("ECS301", CP, "managed_scaling_status"),
                                 ("ECS301", "aws_cloudwatch_metric_alarm.cpu", "actions_enabled")]


# ECS301: alarms, policies, Auto Scaling groups ------------------------------------------

@pytest.mark.parametrize("fields, path, text", [
    ({"actions_enabled": False}, "actions_enabled",
     "CPUReservation alarm has actions_enabled = false"),
    ({"alarm_actions": []}, "alarm_actions", "CPUReservation alarm has no alarm_actions"),
    ({"alarm_actions": None}, "alarm_actions", "has no alarm_actions"),
])
def test_ecs301_reservation_alarm_without_actions(fields, path, text):
    problems = run(ECS301, model(alarm(**fields)))
    assert summary(problems) == [("ECS301", "aws_cloudwatch_metric_alarm.cpu", path)]
    assert text in problems[0].message


@pytest.mark.parametrize("a", [
    alarm(policy(asg())),
    alarm(metric="CPUUtilization", actions_enabled=False),
    alarm(namespace="AWS/EC2", alarm_actions=[]),
    alarm(namespace=UNKNOWN, actions_enabled=False),
    alarm(actions_enabled=UNKNOWN, alarm_actions=["x"]),
    alarm(alarm_actions=UNKNOWN),
])
def test_ecs301_alarm_silent(a):
    assert run(ECS301, model(a)) == []


def test_ecs301_disabled_policy_triggered_by_reservation_alarm_reported_once():
    off = policy(asg(), enabled=False)
    problems = run(ECS301, model(alarm(off, name="cpu"), alarm(off, name="mem",
                                                               metric="MemoryReservation")))
    assert summary(problems) == [("ECS301", "aws_autoscaling_policy.up", "enabled")]
    assert "CPUReservation alarm aws_cloudwatch_metric_alarm.cpu triggers it" in \
        problems[0].message
    assert run(ECS301, model(alarm(policy(asg(), enabled=False), metric="CPUUtilization"))) == []
    assert run(ECS301, model(alarm(policy(asg(), enabled=UNKNOWN)))) == []


def cluster(*groups):
    return entity(Cluster, "aws_ecs_cluster.main", name="main", auto_scaling_groups=list(groups))


@pytest.mark.parametrize("processes, text", [
    (["Launch"], "suspends Launch:"),
    (["AZRebalance", "AlarmNotification"], "suspends AlarmNotification:"),
    (["AlarmNotification", "Launch"], "suspends Launch and AlarmNotification:"),
])
def test_ecs301_cluster_auto_scaling_group_suspends_scale_out(processes, text):
    group = asg(suspended_processes=processes)
    problems = run(ECS301, model(cluster(group), entity(Cluster, "aws_ecs_cluster.b", name="b",
                                                        auto_scaling_groups=[group])))
    assert summary(problems) == [("ECS301", "aws_autoscaling_group.nodes", "suspended_processes")]
    assert f"Auto Scaling group of cluster 'main' {text}" in problems[0].message


@pytest.mark.parametrize("processes", [None, [], ["Terminate", "AZRebalance"], UNKNOWN, [UNKNOWN]])
def test_ecs301_cluster_auto_scaling_group_silent(processes):
    assert run(ECS301, model(cluster(asg(suspended_processes=processes)))) == []


def test_ecs301_auto_scaling_group_outside_a_cluster_is_not_checked():
    assert run(ECS301, model(asg(suspended_processes=["Launch"]))) == []


# ECS302 service-autoscaling-missing -----------------------------------------------------

def target(*policies, resource_id="service/main/svc", namespace="ecs", name="svc", **fields):
    cluster, service_name = service_of_resource_id(resource_id)  # as the sources do
    return entity(ScalableTarget, f"aws_appautoscaling_target.{name}", resource_id=resource_id,
                  service_namespace=namespace, scalable_dimension="ecs:service:DesiredCount",
                  policies=list(policies), cluster_name=cluster, service_name=service_name,
                  **fields)


def test_ecs302_replica_service_without_scalable_target():
    problems = run(ECS302, model(service(task(), name="api")))
    assert summary(problems) == [("ECS302", "aws_ecs_service.api", None)]
    assert "service 'api' has no aws_appautoscaling_target" in problems[0].message
    assert len(run(ECS302, model(service(task(), scheduling_strategy=None)))) == 1


def test_ecs302_scalable_target_without_policy():
    t = target()
    problems = run(ECS302, model(service(task(), scalable_target=t), t))
    assert summary(problems) == [("ECS302", "aws_appautoscaling_target.svc", None)]
    assert "has no scaling policy" in problems[0].message


@pytest.mark.parametrize("svc", [
    service(task(), scalable_target=target(app_policy())),
    service(task(), scheduling_strategy="DAEMON"),
    service(task(), scheduling_strategy=UNKNOWN),
])
def test_ecs302_silent(svc):
    assert run(ECS302, model(svc)) == []


def test_ecs302_unresolved_scalable_target_might_be_this_services():
    svc = service(task())
    assert run(ECS302, model(svc, target(app_policy(), resource_id=UNKNOWN))) == []
    assert run(ECS302, model(svc, target(resource_id=UNKNOWN, namespace=UNKNOWN))) == []
    other = target(resource_id=UNKNOWN, namespace="dynamodb")
    assert summary(run(ECS302, model(svc, other))) == [("ECS302", "aws_ecs_service.svc", None)]
    resolved_elsewhere = target(resource_id="service/main/other")
    assert len(run(ECS302, model(svc, resolved_elsewhere))) == 1
    # A resource id with an unknown cluster part still names its service.
    partly = target(resource_id=PartlyKnown(f"service/{UNKNOWN_MARK}/other"))
    assert len(run(ECS302, model(svc, partly))) == 1
    unknown_service = target(resource_id=PartlyKnown(f"service/main/{UNKNOWN_MARK}"))
    assert run(ECS302, model(svc, unknown_service)) == []


def test_a_scalable_target_with_an_unknown_cluster_part_finds_its_service(tmp_path):
    from helpers import codes, lint, write

    write(tmp_path, {"main.tf": '''
        data "aws_ecs_cluster" "shared" {
          cluster_name = "shared"
        }
        resource "aws_ecs_service" "api" {
          name = "api"
        }
        resource "aws_ecs_service" "worker" {
          name = "worker"
        }
        resource "aws_appautoscaling_target" "api" {
          service_namespace  = "ecs"
          scalable_dimension = "ecs:service:DesiredCount"
          resource_id        = "service/${data.aws_ecs_cluster.shared.arn}/api"
          min_capacity       = 1
          max_capacity       = 4
        }
    '''})
    report = lint([tmp_path])
    ecs302 = sorted((f.resource, f.message.split(":")[0]) for f in report.findings
                    if f.code == "ECS302")
    # api's target is found (it has no policy); worker has none: both said, not silenced.
    assert ecs302 == [("aws_appautoscaling_target.api",
                       "scalable target of service 'api' has no scaling policy"),
                      ("aws_ecs_service.worker",
                       "service 'worker' has no aws_appautoscaling_target (ecs")]
    assert "ECS302" in codes(report)


# ECS303 service-autoscaling-suspended ---------------------------------------------------

def test_ecs303_scale_out_suspended():
    t = target(app_policy(), dynamic_scaling_out_suspended=True, min_capacity=1, max_capacity=4)
    problems = run(ECS303, model(service(task(), scalable_target=t), t))
    assert summary(problems) == [("ECS303", "aws_appautoscaling_target.svc",
                                  "dynamic_scaling_out_suspended")]
    assert "dynamic_scaling_out_suspended = true" in problems[0].message


@pytest.mark.parametrize("low, high", [(2, 2), (3, 1)])
def test_ecs303_max_not_above_min(low, high):
    t = target(app_policy(), min_capacity=low, max_capacity=high)
    problems = run(ECS303, model(service(task(), scalable_target=t)))
    assert summary(problems) == [("ECS303", "aws_appautoscaling_target.svc", "max_capacity")]
    assert f"max_capacity {high} is not above min_capacity {low}" in problems[0].message


def test_ecs303_checks_ecs_targets_no_service_resolved_to():
    t = target(resource_id=UNKNOWN, min_capacity=2, max_capacity=2)
    assert len(run(ECS303, model(t))) == 1
    assert run(ECS303, model(target(namespace="dynamodb", min_capacity=2, max_capacity=2))) == []


@pytest.mark.parametrize("t", [
    target(min_capacity=1, max_capacity=4),
    target(min_capacity=UNKNOWN, max_capacity=1),
    target(min_capacity=2, max_capacity=UNKNOWN),
    target(dynamic_scaling_out_suspended=UNKNOWN),
    target(min_capacity="1", max_capacity="3"),
])
def test_ecs303_silent(t):
    assert run(ECS303, model(service(task(), scalable_target=t), t)) == []


@pytest.mark.parametrize("uses_asg", [False, UNKNOWN])
def test_ecs301_capacity_provider_without_an_auto_scaling_group_is_silent(uses_asg):
    # ECS Managed Instances providers scale themselves; nothing to switch on.
    cp = provider(status=None, group=asg())
    cp.uses_auto_scaling_group = uses_asg
    assert run(ECS301, model(cp)) == []
