"""ECS1xx: container and task memory limits."""

from __future__ import annotations

from typing import Any, Iterator

from ecslint.checks.base import Options, Problem, Rule
from ecslint.checks.common import containers, is_number, quote, task_option
from ecslint.model import Container, EcsModel, Severity, TaskDefinition, is_unknown
from ecslint.resources import load_json

# Docker >= 20.10 reserves 6 MiB; ECS documents it as the smallest usable limit.
MIN_CONTAINER_MIB = 6


def _unset(container: Container) -> bool:
    return container.memory is None and container.memory_reservation is None


def memory_limit_missing(model: EcsModel, options: Options) -> Iterator[Problem]:
    for td in model.task_definitions:
        cs = containers(td)
        if cs is None or td.ec2 is not True or td.memory is not None:
            continue
        for c in cs:
            if _unset(c):
                yield Problem(
                    "ECS101",
                    f"container {quote(c.name)} sets neither memory nor memoryReservation and the "
                    "EC2-compatible task has no task-level memory: registration fails",
                    c, None, c)


def memory_reservation_missing(model: EcsModel, options: Options) -> Iterator[Problem]:
    for td in model.task_definitions:
        cs = containers(td)
        if cs is None or len(cs) < 2:
            continue
        total = td.memory
        whole = f"{total} MiB" if is_number(total) else "memory"
        for c in cs:
            if c.essential is True and _unset(c):
                yield Problem(
                    "ECS102",
                    f"essential container {quote(c.name)} sets neither memory nor "
                    f"memoryReservation in a {len(cs)}-container task: nothing stops it from "
                    f"taking the task's whole {whole} and getting every container OOM-killed",
                    c, None, c)


def _assigned(container: Container) -> Any:
    """Memory assigned to a container: `memory`, else `memoryReservation`, else 0."""
    if container.memory is not None:
        return container.memory
    reservation = container.memory_reservation
    return 0 if reservation is None else reservation


def container_memory_below_task(model: EcsModel, options: Options) -> Iterator[Problem]:
    for td in model.task_definitions:
        cs = containers(td)
        total = td.memory
        if cs is None or not is_number(total) or total <= 0:
            continue
        assigned = [_assigned(c) for c in cs]
        if not all(is_number(a) for a in assigned):
            continue
        free = total - sum(assigned)
        ratio = task_option(model, options, "unassigned_ratio", td)
        if free < ratio * total:
            continue
        for c in cs:
            limit = c.memory
            if is_number(limit):
                yield Problem(
                    "ECS103",
                    f"container {quote(c.name)} is capped at memory {limit} MiB while {free} of "
                    f"the task's {total} MiB ({free / total:.0%}) is assigned to no "
                    "container: it is OOM-killed (exit 137) while the task still has free "
                    "memory",
                    c, "memory", c, ((td, "memory", f"task memory {total} MiB"),))


def _container_limits(td: TaskDefinition, c: Container) -> Iterator[Problem]:
    memory, reservation, total = c.memory, c.memory_reservation, td.memory
    task = ((td, "memory", f"task memory {total} MiB"),)
    # Equal is accepted: "memory must be greater than or equal to memoryReservation".
    if is_number(memory) and is_number(reservation) and reservation > memory:
        yield Problem(
            "ECS104",
            f"container {quote(c.name)} memoryReservation {reservation} MiB is above its "
            f"memory {memory} MiB: registration fails",
            c, "memory_reservation", c, ((c, "memory", f"memory {memory} MiB"),))
    for field, key, value in (("memory", "memory", memory),
                              ("memory_reservation", "memoryReservation", reservation)):
        if not is_number(value):
            continue
        if value < MIN_CONTAINER_MIB:
            yield Problem(
                "ECS104",
                f"container {quote(c.name)} {key} {value} MiB is below the "
                f"{MIN_CONTAINER_MIB} MiB minimum: the container cannot start",
                c, field, c)
        elif is_number(total) and value > total:
            yield Problem(
                "ECS104",
                f"container {quote(c.name)} {key} {value} MiB is above the task memory {total} "
                "MiB: the task cannot be placed or started",
                c, field, c, task)


def _reservation_sum(td: TaskDefinition, cs: list[Container], total: Any) -> Iterator[Problem]:
    reservations = [c.memory_reservation for c in cs]
    if not is_number(total) or any(is_unknown(r) for r in reservations):
        return
    reserved = [r for r in reservations if r is not None]
    # One reservation above the task is already reported on its container.
    if sum(reserved) > total and all(r <= total for r in reserved):
        yield Problem(
            "ECS104",
            f"the containers' memoryReservation values add up to {sum(reserved)} MiB, above "
            f"the task memory {total} MiB: the task cannot be placed",
            td, "memory")


def memory_limits_inconsistent(model: EcsModel, options: Options) -> Iterator[Problem]:
    for td in model.task_definitions:
        cs = containers(td)
        if cs is None:
            continue
        for c in cs:
            yield from _container_limits(td, c)
        yield from _reservation_sum(td, cs, td.memory)


def _fargate_memory(cpu: Any) -> list[int] | None:
    """Valid memory sizes (MiB) for a Fargate cpu value, or None if cpu is not a size."""
    key = str(int(cpu)) if float(cpu).is_integer() else str(cpu)
    size = load_json("fargate-task-sizes.json")["sizes"].get(key)
    if size is None:
        return None
    if "memory" in size:
        return list(size["memory"])
    return list(range(size["min"], size["max"] + 1, size["step"]))


def _describe(sizes: list[int]) -> str:
    if len(sizes) > 2 and len({b - a for a, b in zip(sizes, sizes[1:])}) == 1:
        return f"{sizes[0]}-{sizes[-1]} MiB in steps of {sizes[1] - sizes[0]}"
    return "one of " + ", ".join(map(str, sizes)) + " MiB"


def fargate_task_size_invalid(model: EcsModel, options: Options) -> Iterator[Problem]:
    for td in model.task_definitions:
        if td.fargate is not True:
            continue
        cpu, memory = td.cpu, td.memory
        for key, value in (("cpu", cpu), ("memory", memory)):
            if value is None:
                yield Problem(
                    "ECS105",
                    f"FARGATE-compatible task has no task-level {key}: Fargate requires it, "
                    "so registration fails",
                    td, key)
        if not (is_number(cpu) and is_number(memory)):
            continue
        sizes = _fargate_memory(cpu)
        if sizes is None:
            valid = ", ".join(load_json("fargate-task-sizes.json")["sizes"])
            yield Problem(
                "ECS105",
                f"task cpu {cpu} is not a Fargate size ({valid} CPU units): registration "
                "fails",
                td, "cpu")
        elif memory not in sizes:
            yield Problem(
                "ECS105",
                f"Fargate has no {cpu} CPU / {memory} MiB task size: with {cpu} CPU units "
                f"memory must be {_describe(sizes)}, so registration fails",
                td, "memory", related=((td, "cpu", f"task cpu {cpu}"),))


ECS101 = Rule("ECS101", "memory-limit-missing", Severity.ERROR,
              "An EC2-compatible task without task memory has a container with no memory "
              "limit or reservation.", memory_limit_missing)
ECS102 = Rule("ECS102", "memory-reservation-missing", Severity.WARNING,
              "An essential container in a multi-container task sets no memory limit or "
              "reservation.", memory_reservation_missing)
ECS103 = Rule("ECS103", "container-memory-below-task", Severity.WARNING,
              "A container's hard memory limit leaves much of the task memory unassigned, so "
              "it is OOM-killed early.", container_memory_below_task)
ECS104 = Rule("ECS104", "memory-limits-inconsistent", Severity.ERROR,
              "Container memory limits and reservations contradict each other or the task "
              "memory.", memory_limits_inconsistent)
ECS105 = Rule("ECS105", "fargate-task-size-invalid", Severity.ERROR,
              "A Fargate task lacks task-level cpu/memory or uses a size Fargate does not "
              "offer.", fargate_task_size_invalid)
