"""ECS101-ECS105: memory rules over the normalized model."""

from __future__ import annotations

import pytest

from ecslint.checks.memory import ECS101, ECS102, ECS103, ECS104, ECS105
from ecslint.model import UNKNOWN
from modelkit import container, model, options, run, service, summary, task


# ECS101 memory-limit-missing ------------------------------------------------------------

def test_ecs101_fires_for_unbounded_container_in_ec2_task_without_memory():
    app, sidecar = container("app"), container("log", memory_reservation=64)
    problems = run(ECS101, model(task(app, sidecar)))
    assert summary(problems) == [("ECS101", "app", None)]
    assert problems[0].entity is app and problems[0].container is app
    assert "container 'app' sets neither memory nor memoryReservation" in problems[0].message


def test_ecs101_absent_compatibilities_mean_ec2():
    assert summary(run(ECS101, model(task(container("app"), compat=None)))) == [
        ("ECS101", "app", None)]


@pytest.mark.parametrize("td", [
    task(container("app"), memory=512),
    task(container("app", memory=256)),
    task(container("app", memory_reservation=256)),
    task(container("app"), compat=("FARGATE",)),
])
def test_ecs101_silent(td):
    assert run(ECS101, model(td)) == []


@pytest.mark.parametrize("td", [
    task(container("app"), memory=UNKNOWN),
    task(container("app", memory=UNKNOWN)),
    task(container("app", memory_reservation=UNKNOWN)),
    task(container("app"), requires_compatibilities=UNKNOWN),
    task(containers=UNKNOWN),
])
def test_ecs101_silent_on_unknown(td):
    assert run(ECS101, model(td)) == []


# ECS102 memory-reservation-missing ------------------------------------------------------

def test_ecs102_fires_for_essential_container_without_memory_in_multi_container_task():
    td = task(container("app", memory=1024), container("proxy"), memory=2048)
    problems = run(ECS102, model(td))
    assert summary(problems) == [("ECS102", "proxy", None)]
    assert "in a 2-container task" in problems[0].message
    assert "whole 2048 MiB" in problems[0].message


@pytest.mark.parametrize("td", [
    task(container("app"), memory=2048),
    task(container("app", memory=1024), container("init", essential=False), memory=2048),
    task(container("app", memory=1024), container("proxy", memory_reservation=64), memory=2048),
])
def test_ecs102_silent(td):
    assert run(ECS102, model(td)) == []


@pytest.mark.parametrize("td", [
    task(container("app", memory=1024), container("proxy", essential=UNKNOWN), memory=2048),
    task(container("app", memory=1024), container("proxy", memory=UNKNOWN), memory=2048),
    task(containers=UNKNOWN, memory=2048),
])
def test_ecs102_silent_on_unknown(td):
    assert run(ECS102, model(td)) == []


def test_ecs102_unknown_task_memory_is_still_set_memory():
    td = task(container("app", memory=1024), container("proxy"), memory=UNKNOWN)
    problems = run(ECS102, model(td))
    assert summary(problems) == [("ECS102", "proxy", None)]
    assert "whole memory" in problems[0].message


# ECS103 container-memory-below-task -----------------------------------------------------

def test_ecs103_fires_for_hard_limit_far_below_fargate_task_memory():
    td = task(container("app", memory=4096), compat=("FARGATE",), cpu=2048, memory=16384)
    problems = run(ECS103, model(td))
    assert summary(problems) == [("ECS103", "app", "memory")]
    assert problems[0].message == (
        "container 'app' is capped at memory 4096 MiB while 12288 of the task's 16384 MiB "
        "(75%) is assigned to no container: it is OOM-killed (exit 137) while the task still "
        "has free memory")


def test_ecs103_boundary_exactly_half_unassigned_fires():
    assert len(run(ECS103, model(task(container("app", memory=1024), memory=2048)))) == 1
    assert run(ECS103, model(task(container("app", memory=1025), memory=2048))) == []


def test_ecs103_counts_reservations_as_assigned_but_only_flags_hard_limits():
    def td(reservation):
        return task(container("app", memory=1024),
                    container("log", memory_reservation=reservation), memory=4096)
    assert summary(run(ECS103, model(td(1024)))) == [("ECS103", "app", "memory")]
    assert run(ECS103, model(td(1100))) == []


def test_ecs103_silent_without_hard_limit():
    assert run(ECS103, model(task(container("app", memory_reservation=256), memory=4096))) == []


def test_ecs103_option_and_overrides():
    td = task(container("app", memory=4096), family="api", memory=16384)
    assert run(ECS103, model(td), options(unassigned_ratio=0.8)) == []
    assert run(ECS103, model(td), options(per_service={"api": {"unassigned_ratio": 0.8}})) == []
    svc = service(td, name="public-api")
    assert run(ECS103, model(svc),
               options(per_service={"public-api": {"unassigned_ratio": 0.8}})) == []
    other = options(per_service={"other": {"unassigned_ratio": 0.8}})
    assert len(run(ECS103, model(td), other)) == 1


def test_ecs103_task_memory_string_form():
    td = task(container("app", memory=4096), compat=("FARGATE",), memory="16 GB")
    assert "of the task's 16384 MiB" in run(ECS103, model(td))[0].message


@pytest.mark.parametrize("td", [
    task(container("app", memory=4096), memory=UNKNOWN),
    task(container("app", memory=4096), container("log", memory_reservation=UNKNOWN),
         memory=16384),
    task(container("app", memory=UNKNOWN), memory=16384),
    task(containers=UNKNOWN, memory=16384),
])
def test_ecs103_silent_on_unknown(td):
    assert run(ECS103, model(td)) == []


# ECS104 memory-limits-inconsistent ------------------------------------------------------

def test_ecs104_reservation_above_memory():
    problems = run(ECS104, model(task(container("app", memory=512, memory_reservation=513))))
    assert summary(problems) == [("ECS104", "app", "memory_reservation")]
    assert "memoryReservation 513 MiB is above its memory 512 MiB" in problems[0].message
    # Exactly on the boundary: equal is accepted by ECS.
    assert run(ECS104, model(task(container("app", memory=512, memory_reservation=512)))) == []
    assert run(ECS104, model(task(container("app", memory=512, memory_reservation=511)))) == []


def test_ecs104_container_limit_above_task_memory():
    td = task(container("app", memory=2048), container("log", memory_reservation=1500),
              memory=1024)
    problems = run(ECS104, model(td))
    assert summary(problems) == [("ECS104", "app", "memory"),
                                 ("ECS104", "log", "memory_reservation")]
    assert "memory 2048 MiB is above the task memory 1024 MiB" in problems[0].message
    assert run(ECS104, model(task(container("app", memory=1024), memory=1024))) == []


def test_ecs104_sum_of_reservations_above_task_memory():
    td = task(container("a", memory_reservation=600), container("b", memory_reservation=600),
              memory=1024)
    problems = run(ECS104, model(td))
    assert summary(problems) == [("ECS104", "aws_ecs_task_definition.app", "memory")]
    assert "add up to 1200 MiB, above the task memory 1024 MiB" in problems[0].message
    equal = task(container("a", memory_reservation=512), container("b", memory_reservation=512),
                 memory=1024)
    assert run(ECS104, model(equal)) == []


def test_ecs104_limits_below_six_mib():
    td = task(container("app", memory=4), container("b", memory_reservation=5))
    problems = run(ECS104, model(td))
    assert summary(problems) == [("ECS104", "app", "memory"),
                                 ("ECS104", "b", "memory_reservation")]
    assert "memory 4 MiB is below the 6 MiB minimum" in problems[0].message
    assert run(ECS104, model(task(container("app", memory=6)))) == []


@pytest.mark.parametrize("td", [
    task(container("app", memory=UNKNOWN, memory_reservation=512)),
    task(container("app", memory=512, memory_reservation=UNKNOWN)),
    task(container("app", memory=2048), memory=UNKNOWN),
    task(container("a", memory_reservation=600), container("b", memory_reservation=UNKNOWN),
         memory=1024),
    task(containers=UNKNOWN, memory=1024),
])
def test_ecs104_silent_on_unknown(td):
    assert run(ECS104, model(td)) == []


# ECS105 fargate-task-size-invalid -------------------------------------------------------

def fargate(cpu, memory, **fields):
    return task(container("app"), compat=("FARGATE",), cpu=cpu, memory=memory, **fields)


def test_ecs105_missing_task_cpu_and_memory():
    problems = run(ECS105, model(fargate(None, None)))
    assert summary(problems) == [("ECS105", "aws_ecs_task_definition.app", "cpu"),
                                 ("ECS105", "aws_ecs_task_definition.app", "memory")]
    assert "has no task-level cpu" in problems[0].message


@pytest.mark.parametrize("cpu, memory", [
    (256, 512), (256, 2048), (512, 4096), (1024, 2048), (2048, 16384), (4096, 30720),
    (8192, 16384), (8192, 61440), (16384, 32768), (16384, 122880),
    ("1 vCPU", "2 GB"), ("0.25 vCPU", "0.5GB"), ("1024", "3072"), ("2 vcpu", "4096"),
])
def test_ecs105_valid_sizes(cpu, memory):
    assert run(ECS105, model(fargate(cpu, memory))) == []


@pytest.mark.parametrize("cpu, memory, path, text", [
    (256, 4096, "memory", "with 256 CPU units memory must be one of 512, 1024, 2048 MiB"),
    (1024, 1024, "memory", "with 1024 CPU units memory must be 2048-8192 MiB in steps of 1024"),
    (8192, 18432, "memory", "memory must be 16384-61440 MiB in steps of 4096"),
    (4096, 31744, "memory", "memory must be 8192-30720 MiB in steps of 1024"),
    ("1 vCPU", "1 GB", "memory", "no 1024 CPU / 1024 MiB task size"),
    (300, 1024, "cpu", "task cpu 300 is not a Fargate size (256, 512, 1024"),
])
def test_ecs105_invalid_sizes(cpu, memory, path, text):
    problems = run(ECS105, model(fargate(cpu, memory)))
    assert summary(problems) == [("ECS105", "aws_ecs_task_definition.app", path)]
    assert text in problems[0].message


def test_ecs105_applies_when_ec2_is_also_listed():
    td = fargate(256, 4096, requires_compatibilities=["EC2", "FARGATE"])
    assert len(run(ECS105, model(td))) == 1
    assert run(ECS105, model(task(container("app"), cpu=256, memory=4096))) == []


def test_ecs105_unknown_values():
    assert run(ECS105, model(fargate(UNKNOWN, 4096))) == []
    assert run(ECS105, model(fargate(256, UNKNOWN))) == []
    assert run(ECS105, model(fargate(256, 4096, requires_compatibilities=UNKNOWN))) == []
    # An unknown cpu does not hide a memory that is certainly missing.
    assert summary(run(ECS105, model(fargate(UNKNOWN, None)))) == [
        ("ECS105", "aws_ecs_task_definition.app", "memory")]


def test_unknown_container_name_reads_as_unnamed():
    problems = run(ECS101, model(task(container(UNKNOWN))))
    assert problems[0].message.startswith("container (unnamed) sets neither memory")


def test_ecs102_fires_without_task_memory_too():
    # rules.md has no exception for tasks without task memory (ECS101 may fire as well).
    td = task(container("app", memory=1024), container("proxy"))
    assert summary(run(ECS102, model(td))) == [("ECS102", "proxy", None)]
