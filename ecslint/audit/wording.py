"""Live findings in the ECS API's words: the static rules name fields as Terraform spells
them (`health_check_grace_period_seconds`), the audit reads them from the API
(`healthCheckGracePeriodSeconds`), and a user looking at the live resource sees those."""

from __future__ import annotations

import dataclasses

from ecslint.model import Finding

# Terraform's spelling in a static rule's message -> the API field the audit read it from
# (DescribeServices, DescribeCapacityProviders, DescribeAlarms, DescribePolicies,
# DescribeScalableTargets, DescribeTargetGroups). Longer phrases first.
LIVE_NAMES: tuple[tuple[str, str], ...] = (
    ("health_check_grace_period_seconds", "healthCheckGracePeriodSeconds"),
    ("has no managed_scaling", "has no managedScaling"),
    ("managed_scaling status", "managedScaling status"),
    ("actions_enabled = false", "ActionsEnabled = false"),
    ("has no alarm_actions", "has no AlarmActions"),
    ("(enabled = false)", "(Enabled = false)"),
    ("has no aws_appautoscaling_target", "has no scalable target"),
    ("dynamic_scaling_out_suspended = true", "SuspendedState.DynamicScalingOutSuspended = true"),
    ("max_capacity", "MaxCapacity"),
    ("min_capacity", "MinCapacity"),
    ("health_check.interval", "HealthCheckIntervalSeconds"),
    ("health_check.timeout", "HealthCheckTimeoutSeconds"),
    ("health_check.healthy_threshold", "HealthyThresholdCount"),
    ("health_check.unhealthy_threshold", "UnhealthyThresholdCount"),
)


def live_message(message: str) -> str:
    for terraform, api in LIVE_NAMES:
        message = message.replace(terraform, api)
    return message


def in_live_words(finding: Finding) -> Finding:
    message = live_message(finding.message)
    return finding if message == finding.message else dataclasses.replace(finding,
                                                                           message=message)
