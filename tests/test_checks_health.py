"""ECS201-ECS204: CPU behind health checks and health-check settings."""

from __future__ import annotations

import pytest

from ecslint.checks.health import ECS201, ECS202, ECS203, ECS204, serving_cpu
from ecslint.model import UNKNOWN
from modelkit import (
    container, health_check, model, options, run, service, summary, target_group, task,
    tg_health_check)

EXAMPLE = ("target group health-check timeout 5 s is at most the expected latency 8.0 s of a "
           "50 ms request at 0.0625 vCPU and 90% utilization (L = C / min(q,1) / (1-p))")


def served(tg=None, task_cpu=None, cpu=None, name="svc", **service_fields):
    """A service whose container 'web' (cpu units `cpu`) sits behind target group `tg`."""
    td = task(container("web", cpu=cpu), cpu=task_cpu)
    return service(td, name=name, lbs=[(tg or target_group(), "web")], **service_fields)


# q, the CPU of the serving container ----------------------------------------------------

@pytest.mark.parametrize("task_cpu, cpus, q", [
    (1024, [512, 512], 0.5),
    (1024, [256, 768], 0.25),
    (1024, [512, None], 1.0),  # not every container sets cpu: the whole task cap
    (2048, [None, None], 2.0),
    (None, [128, 512], 0.125),  # EC2 without task cpu: the container's own shares
    (None, [None, 512], None),
    (None, [0, 512], None),
    ("0.5 vCPU", [None], 0.5),
    (UNKNOWN, [128], None),
    (1024, [128, UNKNOWN], None),
])
def test_serving_cpu(task_cpu, cpus, q):
    td = task(*(container(f"c{i}", cpu=c) for i, c in enumerate(cpus)), cpu=task_cpu)
    assert serving_cpu(td, td.containers[0]) == q


# ECS201 health-check-timeout-below-latency ----------------------------------------------

def test_ecs201_spec_example_fires_at_one_sixteenth_vcpu():
    svc = served(cpu=64)
    problems = run(ECS201, model(svc))
    assert summary(problems) == [("ECS201", "aws_lb_target_group.web", "health_check.timeout")]
    assert problems[0].message == EXAMPLE
    assert problems[0].entity is svc.load_balancers[0].target_group


def test_ecs201_spec_example_silent_at_one_eighth_vcpu():
    assert run(ECS201, model(served(cpu=128))) == []
    assert run(ECS201, model(served(task_cpu=128))) == []


def test_ecs201_share_of_task_cpu():
    td = task(container("web", cpu=64), container("log", cpu=64), cpu=128)
    problems = run(ECS201, model(service(td, lbs=[(target_group(), "web")])))
    assert "8.0 s of a 50 ms request at 0.0625 vCPU" in problems[0].message


def test_ecs201_timeout_equal_to_latency_fires():
    # Exactly on the boundary, in floating point too: L = 0.25 / 0.125 / 0.5 = 4.0 (with the
    # defaults, 0.05 / 0.125 / (1 - 0.9) is 4.000000000000001, above a 4 s timeout).
    exact = options(health_check_cpu_ms=250, peak_utilization=0.5)
    tg = target_group(health_check=tg_health_check(timeout=4))
    problems = run(ECS201, model(served(tg, cpu=128)), exact)
    assert "timeout 4 s is at most the expected latency 4.0 s of a 250 ms request" in \
        problems[0].message
    tg = target_group(health_check=tg_health_check(timeout=5))
    assert run(ECS201, model(served(tg, cpu=128)), exact) == []


def test_ecs201_timeout_equal_to_latency_fires_where_floating_point_rounds_it_below():
    # rules/ECS201.md: fires when the timeout is at most L. With C = 25 ms, p = 0.95 and
    # q = 0.125, L is exactly 0.025 / 0.125 / 0.05 = 4 s, but 1 - 0.95 in floating point makes
    # it 3.999999999999997: the 4 s timeout sits on the boundary and fires.
    below = options(health_check_cpu_ms=25, peak_utilization=0.95)
    tg = target_group(health_check=tg_health_check(timeout=4))
    problems = run(ECS201, model(served(tg, cpu=128)), below)
    assert "timeout 4 s is at most the expected latency 4.0 s of a 25 ms request" in \
        problems[0].message
    tg = target_group(health_check=tg_health_check(timeout=5))
    assert run(ECS201, model(served(tg, cpu=128)), below) == []


def test_ecs201_more_than_one_vcpu_counts_as_one():
    tg = target_group(health_check=tg_health_check(timeout=2, interval=10))
    assert run(ECS201, model(served(tg, task_cpu=4096))) == []
    tg = target_group(health_check=tg_health_check(timeout=0.5))
    assert "latency 0.5 s of a 50 ms request at 4 vCPU" in run(
        ECS201, model(served(tg, task_cpu=4096)))[0].message


@pytest.mark.parametrize("tg, timeout", [
    (target_group(protocol="HTTPS"), 5),
    (target_group(health_check=tg_health_check()), 5),
    (target_group(load_balancer_type="network"), 6),
    (target_group(protocol="TCP", health_check=tg_health_check(protocol="HTTP")), 6),
    (target_group(health_check=tg_health_check(timeout=7)), 7),
])
def test_ecs201_target_group_timeout_defaults_that_fire(tg, timeout):
    problems = run(ECS201, model(served(tg, cpu=64)))
    assert f"health-check timeout {timeout} s is at most" in problems[0].message


@pytest.mark.parametrize("tg", [
    target_group(protocol="TCP"),
    target_group(protocol="TLS"),
    target_group(protocol="TCP", health_check=tg_health_check(protocol="HTTPS")),
    target_group(health_check=tg_health_check(timeout=10)),
    target_group(health_check=tg_health_check(enabled=False, timeout=2)),
    target_group(protocol=None),
])
def test_ecs201_target_group_silent(tg):
    assert run(ECS201, model(served(tg, cpu=64))) == []


def test_ecs201_container_health_check():
    td = task(container("web", cpu=64, health_check=health_check()))
    problems = run(ECS201, model(td))
    assert summary(problems) == [("ECS201", "web", "health_check.timeout")]
    assert problems[0].message == EXAMPLE.replace("target group", "container 'web'")
    td = task(container("web", cpu=64, health_check=health_check(timeout=9)))
    assert run(ECS201, model(td)) == []


def test_ecs201_options():
    svc = served(cpu=64, name="api")
    assert run(ECS201, model(svc), options(health_check_cpu_ms=25)) == []
    assert run(ECS201, model(svc), options(peak_utilization=0.5)) == []
    assert run(ECS201, model(svc), options(per_service={"api": {"peak_utilization": 0.5}})) == []
    assert run(ECS201, model(svc), options(per_service={"app": {"peak_utilization": 0.5}})) == []
    other = options(per_service={"other": {"peak_utilization": 0.5}})
    assert len(run(ECS201, model(svc), other)) == 1
    stricter = run(ECS201, model(served(cpu=128)), options(health_check_cpu_ms=100))
    assert "latency 8.0 s of a 100 ms request at 0.125 vCPU" in stricter[0].message


def test_ecs201_tags_override_options():
    svc = served(cpu=64, tags={"ecslint:peak-utilization": "0.5"})
    assert run(ECS201, model(svc)) == []
    svc = served(cpu=128, tags={"ecslint:health-check-cpu-ms": 100})
    assert "of a 100 ms request" in run(ECS201, model(svc))[0].message
    svc = served(cpu=128)
    svc.task_definition.tags = {"ecslint:health-check-cpu-ms": "100"}
    assert len(run(ECS201, model(svc))) == 1
    assert run(ECS201, model(served(cpu=64, tags={"ecslint:peak-utilization": UNKNOWN}))) != []


def test_ecs201_live_peak_utilization_replaces_p_when_higher():
    tg = target_group(health_check=tg_health_check(timeout=10))
    problems = run(ECS201, model(served(tg, cpu=128, max_cpu_utilization=99)))
    assert "latency 40.0 s of a 50 ms request at 0.125 vCPU and 99% utilization" in \
        problems[0].message
    assert run(ECS201, model(served(cpu=128, max_cpu_utilization=50))) == []
    saturated = run(ECS201, model(served(tg, task_cpu=4096, max_cpu_utilization=100)))
    assert "the expected latency unbounded of a 50 ms request" in saturated[0].message
    assert run(ECS201, model(served(cpu=128, max_cpu_utilization=UNKNOWN))) == []


def test_ecs201_shared_target_group_reported_once_for_worst_service():
    tg = target_group()
    problems = run(ECS201, model(served(tg, cpu=64, name="a"), served(tg, cpu=32, name="b")))
    assert len(problems) == 1
    assert "latency 16.0 s of a 50 ms request at 0.03125 vCPU" in problems[0].message


@pytest.mark.parametrize("svc", [
    served(cpu=UNKNOWN),
    served(task_cpu=UNKNOWN),
    served(),  # neither task nor container cpu: ECS202's business
    served(target_group(health_check=UNKNOWN), cpu=64),
    served(target_group(health_check=tg_health_check(timeout=UNKNOWN)), cpu=64),
    served(target_group(health_check=tg_health_check(enabled=UNKNOWN)), cpu=64),
    served(target_group(protocol=UNKNOWN), cpu=64),
    service(task(container("web", cpu=64)), lbs=[(target_group(), UNKNOWN)]),
    service(task(container("web", cpu=64)), lbs=[(None, "web")]),
    service(task(containers=UNKNOWN), lbs=[(target_group(), "web")]),
    service(task(container("web", cpu=64)), load_balancers=UNKNOWN),
])
def test_ecs201_silent_on_unknown(svc):
    assert run(ECS201, model(svc)) == []


def test_ecs201_container_health_check_unknown():
    assert run(ECS201, model(task(container("web", cpu=64, health_check=UNKNOWN)))) == []
    hc = health_check(timeout=UNKNOWN)
    assert run(ECS201, model(task(container("web", cpu=64, health_check=hc)))) == []


# ECS202 cpu-unset -----------------------------------------------------------------------

def test_ecs202_fires_for_essential_container_without_cpu():
    td = task(container("web"), container("log", cpu=0), container("init", essential=False))
    problems = run(ECS202, model(td))
    assert summary(problems) == [("ECS202", "web", "cpu"), ("ECS202", "log", "cpu")]
    assert "2 CPU shares" in problems[0].message


@pytest.mark.parametrize("td", [
    task(container("web"), cpu=512),
    task(container("web", cpu=256)),
    task(container("web"), compat=("FARGATE",)),
    task(container("web"), cpu=UNKNOWN),
    task(container("web", cpu=UNKNOWN)),
    task(container("web", essential=UNKNOWN)),
    task(container("web"), requires_compatibilities=UNKNOWN),
    task(containers=UNKNOWN),
])
def test_ecs202_silent(td):
    assert run(ECS202, model(td)) == []


# ECS203 health-check-grace-period-missing -----------------------------------------------

@pytest.mark.parametrize("grace, state", [(None, "unset"), (0, "0")])
def test_ecs203_fires_without_grace_period(grace, state):
    problems = run(ECS203, model(served(cpu=256, health_check_grace_period=grace)))
    assert summary(problems) == [("ECS203", "aws_ecs_service.svc",
                                  "health_check_grace_period")]
    assert f"health_check_grace_period_seconds is {state}" in problems[0].message


def test_ecs203_grace_shorter_than_start_period():
    td = task(container("web", health_check=health_check(start_period=120)))
    svc = service(td, lbs=[(target_group(), "web")], health_check_grace_period=60)
    problems = run(ECS203, model(svc))
    assert summary(problems) == [("ECS203", "aws_ecs_service.svc",
                                  "health_check_grace_period")]
    assert ("health_check_grace_period_seconds 60 is shorter than container 'web' "
            "healthCheck.startPeriod 120 s") in problems[0].message
    svc.health_check_grace_period = 120
    assert run(ECS203, model(svc)) == []


@pytest.mark.parametrize("svc", [
    service(task(container("web")), health_check_grace_period=None),
    served(health_check_grace_period=60),
    served(health_check_grace_period=UNKNOWN),
    service(task(container("web", health_check=health_check(start_period=UNKNOWN))),
            lbs=[(target_group(), "web")], health_check_grace_period=60),
    service(task(container("web", health_check=UNKNOWN)),
            lbs=[(target_group(), "web")], health_check_grace_period=60),
    service(task(container("web")), load_balancers=UNKNOWN),
])
def test_ecs203_silent(svc):
    assert run(ECS203, model(svc)) == []


# ECS204 health-check-settings-invalid ---------------------------------------------------

@pytest.mark.parametrize("hc, path, text", [
    (tg_health_check(timeout=30, interval=30), "health_check.timeout",
     "health-check timeout 30 s is not below its interval 30 s"),
    (tg_health_check(interval=400), "health_check.interval",
     "health_check.interval 400 is outside the AWS range 5-300"),
    (tg_health_check(timeout=1), "health_check.timeout", "range 2-120"),
    (tg_health_check(healthy_threshold=1), "health_check.healthy_threshold", "range 2-10"),
    (tg_health_check(unhealthy_threshold=11), "health_check.unhealthy_threshold", "range 2-10"),
    (tg_health_check(interval=5), "health_check.timeout",
     "timeout 5 s is not below its interval 5 s"),
])
def test_ecs204_target_group_fires(hc, path, text):
    problems = run(ECS204, model(target_group(health_check=hc)))
    assert summary(problems) == [("ECS204", "aws_lb_target_group.web", path)]
    assert text in problems[0].message


def test_ecs204_target_group_tcp_default_timeout():
    problems = run(ECS204, model(target_group(protocol="TCP",
                                              health_check=tg_health_check(interval=10))))
    assert "timeout 10 s is not below its interval 10 s" in problems[0].message
    assert run(ECS204, model(target_group(health_check=tg_health_check(interval=6)))) == []


@pytest.mark.parametrize("tg", [
    target_group(),
    target_group(health_check=tg_health_check()),
    target_group(health_check=tg_health_check(enabled=False, timeout=50, interval=10)),
    target_group(health_check=UNKNOWN),
    target_group(health_check=tg_health_check(enabled=UNKNOWN, interval=400)),
    target_group(health_check=tg_health_check(timeout=UNKNOWN, interval=UNKNOWN)),
    target_group(protocol=UNKNOWN, health_check=tg_health_check(interval=5)),
])
def test_ecs204_target_group_silent(tg):
    assert run(ECS204, model(tg)) == []


@pytest.mark.parametrize("hc, path, text", [
    (health_check(timeout=61, interval=90), "health_check.timeout", "range 2-60"),
    (health_check(interval=4, timeout=2), "health_check.interval", "range 5-300"),
    (health_check(retries=0), "health_check.retries", "healthCheck.retries 0 is outside"),
    (health_check(retries=11), "health_check.retries", "range 1-10"),
    (health_check(start_period=301), "health_check.start_period", "range 0-300"),
    (health_check(timeout=10, interval=10), "health_check.timeout",
     "timeout 10 s is not below its interval 10 s"),
    (health_check(interval=5), "health_check.timeout",
     "timeout 5 s is not below its interval 5 s"),
])
def test_ecs204_container_fires(hc, path, text):
    problems = run(ECS204, model(task(container("web", health_check=hc))))
    assert summary(problems) == [("ECS204", "web", path)]
    assert text in problems[0].message


@pytest.mark.parametrize("hc", [
    health_check(),
    health_check(timeout=60, interval=300, retries=10, start_period=300),
    health_check(timeout=2, interval=5, retries=1, start_period=0),
    health_check(timeout=UNKNOWN, interval=UNKNOWN, retries=UNKNOWN, start_period=UNKNOWN),
    UNKNOWN,
    None,
])
def test_ecs204_container_silent(hc):
    assert run(ECS204, model(task(container("web", health_check=hc)))) == []
