"""The rule catalog: codes, names and severities are public interface."""

from __future__ import annotations

import dataclasses

import pytest

from ecslint.checks import ALL_RULES, RULES_BY_CODE, _by_code
from ecslint.checks.base import Options
from ecslint.model import (
    UNKNOWN, AccountSetting, AutoScalingGroup, AutoScalingPolicy, CapacityProvider, Cluster,
    Container, ContainerHealthCheck, EcsModel, LoadBalancerAttachment, MetricAlarm,
    ScalableTarget, Service, Severity, TargetGroup, TargetGroupHealthCheck, TaskDefinition)
from modelkit import WHERE

CATALOG = [
    ("ECS001", "parse-error", "error"),
    ("ECS002", "unused-suppression", "warning"),
    ("ECS003", "module-not-loaded", "info"),
    ("ECS101", "memory-limit-missing", "error"),
    ("ECS102", "memory-reservation-missing", "warning"),
    ("ECS103", "container-memory-below-task", "warning"),
    ("ECS104", "memory-limits-inconsistent", "error"),
    ("ECS105", "fargate-task-size-invalid", "error"),
    ("ECS201", "health-check-timeout-below-latency", "warning"),
    ("ECS202", "cpu-unset", "warning"),
    ("ECS203", "health-check-grace-period-missing", "warning"),
    ("ECS204", "health-check-settings-invalid", "error"),
    ("ECS301", "cluster-scaling-disabled", "error"),
    ("ECS302", "service-autoscaling-missing", "warning"),
    ("ECS303", "service-autoscaling-suspended", "error"),
    ("ECS401", "container-insights-disabled", "warning"),
    ("ECS402", "container-insights-not-enhanced", "info"),
    ("ECS403", "metrics-sidecar-missing", "warning"),
    ("ECS404", "metrics-sidecar-essential", "warning"),
    ("ECS901", "oom-kill-observed", "error"),
    ("ECS902", "health-check-kill-observed", "error"),
    ("ECS903", "cpu-saturated", "warning"),
    ("ECS904", "memory-near-limit", "warning"),
    ("ECS905", "live-drift", "warning"),
    ("ECS906", "container-memory-near-limit", "warning"),
    ("ECS907", "container-cpu-saturated", "warning"),
]


def test_catalog_matches_spec():
    assert [(r.code, r.name, r.severity.value) for r in ALL_RULES] == CATALOG
    assert list(RULES_BY_CODE) == [code for code, _, _ in CATALOG]
    assert all(RULES_BY_CODE[r.code] is r for r in ALL_RULES)


def test_engine_and_audit_rules_have_no_check():
    no_check = {r.code for r in ALL_RULES if r.check is None}
    assert no_check == {"ECS001", "ECS002", "ECS003", "ECS901", "ECS902", "ECS905", "ECS906",
                        "ECS907"}
    assert {r.code for r in ALL_RULES if r.live_only} == {f"ECS90{i}" for i in range(1, 8)}


def test_every_rule_has_a_one_sentence_summary():
    for rule in ALL_RULES:
        assert rule.summary.endswith(".") and rule.summary.count(". ") == 0, rule.code


def test_duplicate_or_unordered_codes_are_rejected():
    with pytest.raises(RuntimeError):
        _by_code(ALL_RULES + (ALL_RULES[2],))
    with pytest.raises(RuntimeError):
        _by_code((ALL_RULES[3], ALL_RULES[2]))


def unknown(kind, **fields):
    """An entity whose every plain value is UNKNOWN."""
    values = {f.name: UNKNOWN for f in dataclasses.fields(kind) if f.type == "Any"}
    if "address" in values or any(f.name == "address" for f in dataclasses.fields(kind)):
        values.update(address=f"{kind.__name__}.x", where=WHERE)
    return kind(**{**values, **fields})


def unknown_model(whole_lists: bool) -> EcsModel:
    """Every value unknown; with `whole_lists`, container lists and blocks unknown too."""
    group = unknown(AutoScalingGroup)
    policy = unknown(AutoScalingPolicy, auto_scaling_group=group)
    alarm = unknown(MetricAlarm, policies=[policy])
    cp = unknown(CapacityProvider, auto_scaling_group=group)
    cluster = unknown(Cluster, capacity_providers=[cp], auto_scaling_groups=[group])
    tg_hc = UNKNOWN if whole_lists else unknown(TargetGroupHealthCheck)
    tg = unknown(TargetGroup, health_check=tg_hc)
    hc = UNKNOWN if whole_lists else unknown(ContainerHealthCheck)
    containers = [unknown(Container, health_check=hc), unknown(Container, health_check=hc)]
    td = unknown(TaskDefinition, containers=UNKNOWN if whole_lists else containers)
    target = unknown(ScalableTarget)
    lbs = UNKNOWN if whole_lists else [
        LoadBalancerAttachment(tg, UNKNOWN, UNKNOWN, "load_balancer.0")]
    svc = unknown(Service, cluster=cluster, task_definition=td, load_balancers=lbs,
                  scalable_target=target)
    return EcsModel(task_definitions=[td], services=[svc], clusters=[cluster], target_groups=[tg],
                    capacity_providers=[cp], auto_scaling_groups=[group],
                    autoscaling_policies=[policy], alarms=[alarm], scalable_targets=[target],
                    account_settings=[unknown(AccountSetting)], live=True)


@pytest.mark.parametrize("whole_lists", [False, True])
@pytest.mark.parametrize("rule", [r for r in ALL_RULES if r.check is not None],
                         ids=lambda r: r.code)
def test_rules_stay_silent_on_an_unknown_model(rule, whole_lists):
    assert list(rule.check(unknown_model(whole_lists), Options())) == []


def test_severity_values():
    assert {r.severity for r in ALL_RULES} == set(Severity)
