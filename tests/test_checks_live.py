"""ECS903/ECS904: peaks the live audit put on services; ECS901/902/905 are engine-reported."""

from __future__ import annotations

import pytest

from ecslint.checks.live import ECS901, ECS902, ECS903, ECS904, ECS905
from ecslint.model import UNKNOWN
from modelkit import model, options, run, service, summary, task


@pytest.mark.parametrize("rule, field, metric", [
    (ECS903, "max_cpu_utilization", "CPUUtilization"),
    (ECS904, "max_memory_utilization", "MemoryUtilization"),
])
def test_fires_at_threshold(rule, field, metric):
    problems = run(rule, model(service(task(), name="api", **{field: 90.0})))
    assert summary(problems) == [(rule.code, "aws_ecs_service.api", None)]
    assert problems[0].message.startswith(
        f"service 'api' reached a maximum {metric} of 90% in the look-back window "
        "(threshold 90%)")
    assert "of 97.5%" in run(rule, model(service(task(), **{field: 97.5})))[0].message


@pytest.mark.parametrize("rule, field", [
    (ECS903, "max_cpu_utilization"), (ECS904, "max_memory_utilization")])
@pytest.mark.parametrize("value", [89.9, None, UNKNOWN])
def test_silent_below_threshold_or_without_data(rule, field, value):
    assert run(rule, model(service(task(), **{field: value}))) == []


@pytest.mark.parametrize("rule, field, option", [
    (ECS903, "max_cpu_utilization", "cpu_saturation"),
    (ECS904, "max_memory_utilization", "memory_near_limit"),
])
def test_threshold_option_and_per_service_override(rule, field, option):
    svc = service(task(family="api-task"), name="api", **{field: 92.0})
    assert run(rule, model(svc), options(**{option: 95.0})) == []
    assert run(rule, model(svc), options(per_service={"api": {option: 95.0}})) == []
    assert run(rule, model(svc), options(per_service={"api-task": {option: 95.0}})) == []
    assert "(threshold 80%)" in run(rule, model(svc), options(**{option: 80}))[0].message


def test_live_rules_are_live_only():
    assert all(r.live_only for r in (ECS901, ECS902, ECS903, ECS904, ECS905))
    assert [r.check for r in (ECS901, ECS902, ECS905)] == [None, None, None]
