"""`ecslint inspect`: the normalized model the rules see, from exactly the inputs `check`
reads, so that a user can ask why a rule did or did not fire.

Fields carry ECS API names (`containerDefinitions` is a list of container objects inside a
task definition); a value not known statically is the string "(unknown)"; a relation to
another entity is that entity's address.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Iterable

from ecslint import __version__
from ecslint.engine import display_path
from ecslint.model import (CapacityProvider, Cluster, Container, ContainerHealthCheck, EcsModel,
                           Entity, InputProblem, MetricAlarm, ScalableTarget, Service,
                           TargetGroup, TargetGroupHealthCheck, TaskDefinition)
from ecslint.unknown import Unknown

UNKNOWN_TEXT = "(unknown)"


def value(v: Any) -> Any:
    """A model value in JSON terms: Unknown (also inside lists and maps) as "(unknown)"."""
    if isinstance(v, Unknown):
        return UNKNOWN_TEXT
    if isinstance(v, Entity):
        return v.address
    if isinstance(v, dict):
        return {str(k): value(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [value(x) for x in v]
    if isinstance(v, str):
        return str(v)  # not a positioned subclass
    return v


def _fields(obj: Any, spec: Iterable[tuple[str, str]]) -> dict:
    return {api: value(getattr(obj, attr)) for api, attr in spec}


_CONTAINER = (("name", "name"), ("image", "image"), ("essential", "essential"), ("cpu", "cpu"),
              ("memory", "memory"), ("memoryReservation", "memory_reservation"),
              ("command", "command"), ("entryPoint", "entry_point"))
_CONTAINER_HC = (("command", "command"), ("interval", "interval"), ("timeout", "timeout"),
                 ("retries", "retries"), ("startPeriod", "start_period"))
_TG_HC = (("enabled", "enabled"), ("interval", "interval"), ("timeout", "timeout"),
          ("healthyThreshold", "healthy_threshold"),
          ("unhealthyThreshold", "unhealthy_threshold"), ("protocol", "protocol"))


def _health_check(hc: Any, spec: Iterable[tuple[str, str]], cls: type) -> Any:
    return _fields(hc, spec) if isinstance(hc, cls) else value(hc)


def container(c: Container) -> dict:
    out = _fields(c, _CONTAINER)
    env = c.environment
    out["environment"] = ([{"name": k, "value": value(x)} for k, x in env.items()]
                          if isinstance(env, dict) else value(env))
    out["healthCheck"] = _health_check(c.health_check, _CONTAINER_HC, ContainerHealthCheck)
    out["firelensConfiguration"] = c.firelens
    return out


def _task_definition(td: TaskDefinition) -> dict:
    out = _fields(td, (("family", "family"), ("cpu", "cpu"), ("memory", "memory"),
                       ("requiresCompatibilities", "requires_compatibilities"),
                       ("networkMode", "network_mode")))
    out["containerDefinitions"] = (value(td.containers) if isinstance(td.containers, Unknown)
                                   else [container(c) for c in td.containers])
    return out


def _service(s: Service) -> dict:
    out = _fields(s, (("serviceName", "name"), ("cluster", "cluster"),
                      ("taskDefinition", "task_definition"), ("launchType", "launch_type"),
                      ("capacityProviderStrategy", "capacity_provider_strategy"),
                      ("schedulingStrategy", "scheduling_strategy"),
                      ("healthCheckGracePeriodSeconds", "health_check_grace_period"),
                      ("scalableTarget", "scalable_target")))
    out["loadBalancers"] = [{"targetGroup": value(lb.target_group),
                             "containerName": value(lb.container_name),
                             "containerPort": value(lb.container_port)}
                            for lb in s.load_balancers]
    return out


def _cluster(c: Cluster) -> dict:
    out = _fields(c, (("clusterName", "name"), ("containerInsights", "container_insights")))
    out["capacityProviders"] = [value(cp.name) for cp in c.capacity_providers]
    out["defaultCapacityProviderStrategy"] = value(c.default_strategy)
    out["autoScalingGroups"] = [g.address for g in c.auto_scaling_groups]
    return out


def _capacity_provider(cp: CapacityProvider) -> dict:
    out = _fields(cp, (("name", "name"), ("autoScalingGroup", "auto_scaling_group")))
    out["managedScaling"] = {"status": value(cp.managed_scaling_status)}
    return out


def _target_group(tg: TargetGroup) -> dict:
    out = _fields(tg, (("name", "name"), ("protocol", "protocol"), ("targetType", "target_type"),
                       ("loadBalancerType", "load_balancer_type")))
    out["healthCheck"] = _health_check(tg.health_check, _TG_HC, TargetGroupHealthCheck)
    return out


def _scalable_target(t: ScalableTarget) -> dict:
    out = _fields(t, (("resourceId", "resource_id"), ("serviceNamespace", "service_namespace"),
                      ("scalableDimension", "scalable_dimension"),
                      ("minCapacity", "min_capacity"), ("maxCapacity", "max_capacity")))
    out["suspendedState"] = {"dynamicScalingOutSuspended": value(
        t.dynamic_scaling_out_suspended)}
    out["scalingPolicies"] = [p.address for p in t.policies]
    return out


def _alarm(a: MetricAlarm) -> dict:
    out = _fields(a, (("namespace", "namespace"), ("metricName", "metric_name"),
                      ("actionsEnabled", "actions_enabled"), ("alarmActions", "alarm_actions")))
    out["scalingPolicies"] = [p.address for p in a.policies]
    return out


# model list -> (kind, fields of one entity)
_KINDS: tuple[tuple[str, str, Callable[[Any], dict]], ...] = (
    ("task_definitions", "task_definition", _task_definition),
    ("services", "service", _service),
    ("clusters", "cluster", _cluster),
    ("capacity_providers", "capacity_provider", _capacity_provider),
    ("target_groups", "target_group", _target_group),
    ("scalable_targets", "scalable_target", _scalable_target),
    ("alarms", "alarm", _alarm),
    ("auto_scaling_groups", "auto_scaling_group", lambda g: _fields(g, (
        ("autoScalingGroupName", "name"), ("minSize", "min_size"), ("maxSize", "max_size"),
        ("suspendedProcesses", "suspended_processes")))),
    ("autoscaling_policies", "autoscaling_policy", lambda p: _fields(p, (
        ("enabled", "enabled"), ("autoScalingGroup", "auto_scaling_group")))),
    ("account_settings", "account_setting", lambda s: _fields(s, (
        ("name", "name"), ("value", "value")))),
)


def entities(models: Iterable[EcsModel]) -> list[dict]:
    out = []
    for model in models:
        for attr, kind, fields in _KINDS:
            for e in getattr(model, attr):
                out.append({"kind": kind, "address": e.address,
                            "file": display_path(e.where.file), "line": e.where.line,
                            "fields": fields(e)})
    return out


def document(models: Iterable[EcsModel], problems: Iterable[InputProblem]) -> dict:
    return {"version": __version__, "entities": entities(models),
            "problems": [{"code": p.code, "file": display_path(p.file), "line": p.line,
                          "column": p.column, "message": p.message} for p in problems]}


def render_json(doc: dict) -> str:
    return json.dumps(doc, indent=2) + "\n"


def render_text(doc: dict) -> str:
    """A readable tree: one entity per paragraph, its fields indented below it."""
    lines: list[str] = []
    for e in doc["entities"]:
        where = e["file"] + (f":{e['line']}" if e["line"] else "")
        lines.append(f"{where}: {e['kind']} {e['address']}")
        _tree(e["fields"], 1, lines)
        lines.append("")
    for p in doc["problems"]:
        where = p["file"] + (f":{p['line']}" if p["line"] else "")
        lines.append(f"{where}: {p['code']} {p['message']}")
    if not doc["entities"]:
        lines.append("No ECS entities found.")
    return "\n".join(lines).rstrip("\n") + "\n"


def _scalar(v: Any) -> str:
    if v is None:
        return "unset"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str) and v != UNKNOWN_TEXT:
        return json.dumps(v)
    return str(v)


def _tree(v: Any, depth: int, lines: list[str]) -> None:
    pad = "  " * depth
    if isinstance(v, dict):
        for k, x in v.items():
            if isinstance(x, (dict, list)) and x:
                lines.append(f"{pad}{k}:")
                _tree(x, depth + 1, lines)
            else:
                lines.append(f"{pad}{k}: {_scalar(x) if not isinstance(x, (dict, list)) else x}")
    elif isinstance(v, list):
        for x in v:
            if isinstance(x, dict):
                first = True
                for k, y in x.items():
                    mark = "- " if first else "  "
                    first = False
                    if isinstance(y, (dict, list)) and y:
                        lines.append(f"{pad}{mark}{k}:")
                        _tree(y, depth + 2, lines)
                    else:
                        shown = _scalar(y) if not isinstance(y, (dict, list)) else y
                        lines.append(f"{pad}{mark}{k}: {shown}")
            else:
                lines.append(f"{pad}- {_scalar(x)}")
