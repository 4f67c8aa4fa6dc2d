"""ECS9xx: findings of the live audit; ECS903/ECS904 read metrics the audit put on services."""

from __future__ import annotations

from typing import Iterator

from ecslint.checks.base import Options, Problem, Rule
from ecslint.checks.common import is_number, quote, service_option
from ecslint.model import EcsModel, Severity


def _peaks(model: EcsModel, options: Options, code: str, field: str, option: str,
           metric: str, consequence: str) -> Iterator[Problem]:
    for service in model.services:
        peak = getattr(service, field)
        threshold = float(service_option(options, option, service, service.task_definition))
        if is_number(peak) and peak >= threshold:
            yield Problem(
                code,
                f"service {quote(service.name)} reached a maximum {metric} of {peak:g}% in the "
                f"look-back window (threshold {threshold:g}%): {consequence}",
                service)


def cpu_saturated(model: EcsModel, options: Options) -> Iterator[Problem]:
    return _peaks(model, options, "ECS903", "max_cpu_utilization", "cpu_saturation",
                  "CPUUtilization",
                  "its tasks run out of CPU, requests queue and health checks time out")


def memory_near_limit(model: EcsModel, options: Options) -> Iterator[Problem]:
    return _peaks(model, options, "ECS904", "max_memory_utilization", "memory_near_limit",
                  "MemoryUtilization", "a little more load gets its containers OOM-killed")


ECS901 = Rule("ECS901", "oom-kill-observed", Severity.ERROR,
              "A recently stopped task had a container killed for running out of memory.",
              live_only=True)
ECS902 = Rule("ECS902", "health-check-kill-observed", Severity.ERROR,
              "A recently stopped task failed its load balancer or container health checks.",
              live_only=True)
ECS903 = Rule("ECS903", "cpu-saturated", Severity.WARNING,
              "A service's maximum CPUUtilization in the look-back window is at or above the "
              "saturation threshold.", cpu_saturated, live_only=True)
ECS904 = Rule("ECS904", "memory-near-limit", Severity.WARNING,
              "A service's maximum MemoryUtilization in the look-back window is near its "
              "limit.", memory_near_limit, live_only=True)
ECS905 = Rule("ECS905", "live-drift", Severity.WARNING,
              "A setting declared in Terraform differs from the live one.", live_only=True)
# Reported by the audit (ecslint.audit.usage_findings): they need per-container metrics.
ECS906 = Rule("ECS906", "container-memory-near-limit", Severity.WARNING,
              "A container's peak memory in the look-back window is near its own limit "
              "(its hard memory, else the task memory).", live_only=True)
ECS907 = Rule("ECS907", "container-cpu-saturated", Severity.WARNING,
              "A container's peak CPU in the look-back window is at or above the saturation "
              "threshold of its CPU share.", live_only=True)
