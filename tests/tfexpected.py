"""Expected ECS entities read from a real `terraform show -json` plan, independently of ecslint.

`expected_entities(plan_doc)` maps each planned resource instance address of the ECS-related
types to `{"kind": ..., "fields": {...}}`, the fields named as in the ECS / ELB / Application
Auto Scaling / CloudWatch APIs. Only values the plan knows are kept: anything marked in
`after_unknown` or `after_sensitive` is left out (a list or object with an unknown or
sensitive part is left out whole, except the nested blocks and container definitions, where
only the unknown part is), as are unset (null) values, so a test can compare field by field:
a field present here is what Terraform will send.

This module must not import ecslint: it is the oracle's side of the comparison.

Container definitions are decoded from the planned JSON string. The AWS provider (5.100)
normalises that string while planning: it unmarshals it into the AWS SDK's
ContainerDefinition struct, whose JSON keys Go matches case-insensitively (the last of two
keys that differ only in case wins), and marshals it back with the canonical names, dropping
null values, unknown keys and `cpu: 0`, keeping `memory: 0`, `essential: false` and empty
lists, and sorting `environment` by name. Seen in tests/fixtures/tf_semantics/container_json:
`entrypoint`, `Memory`, `memoryreservation`, `Essential` and `ENTRYPOINT` all come out in
canonical case, and `"memory": "512"` (a string) fails the plan
(tests/fixtures/tf_semantics/container_json_errors). So the plan already has canonical keys;
the case-insensitive matching below only repeats what the provider does, for plans where the
string is passed through.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterator

KINDS = {
    "aws_ecs_task_definition": "task_definition",
    "aws_ecs_service": "service",
    "aws_ecs_cluster": "cluster",
    "aws_ecs_cluster_capacity_providers": "cluster_capacity_providers",
    "aws_ecs_capacity_provider": "capacity_provider",
    "aws_lb_target_group": "target_group",
    "aws_alb_target_group": "target_group",  # the older name of the same resource
    "aws_appautoscaling_target": "scalable_target",
    "aws_cloudwatch_metric_alarm": "alarm",
}

_SKIP = object()  # a value the plan does not know (or hides): leave the field out


class _Value:
    """A planned value with its `after_unknown` and `after_sensitive` shadows."""

    def __init__(self, after: Any, unknown: Any, sensitive: Any) -> None:
        self.after, self.unknown, self.sensitive = after, unknown, sensitive

    def __getitem__(self, key: Any) -> _Value:
        return _Value(_at(self.after, key), _at(self.unknown, key), _at(self.sensitive, key))

    @property
    def hidden(self) -> bool:
        """Unknown or sensitive here or anywhere inside."""
        return _any_true(self.unknown) or _any_true(self.sensitive)

    def get(self) -> Any:
        """The whole value, or _SKIP when any part is unknown or sensitive."""
        return _SKIP if self.hidden else self.after

    def items(self) -> list[_Value]:
        """The elements of a list (or set) value; [] when it is null or wholly unknown."""
        if self.unknown is True or self.sensitive is True or not isinstance(self.after, list):
            return []
        return [self[i] for i in range(len(self.after))]


def _at(v: Any, key: Any) -> Any:
    if isinstance(v, dict):
        return v.get(key)
    if isinstance(v, list) and isinstance(key, int):
        return v[key] if 0 <= key < len(v) else None
    return None


def _any_true(v: Any) -> bool:
    if v is True:
        return True
    if isinstance(v, dict):
        return any(_any_true(x) for x in v.values())
    if isinstance(v, list):
        return any(_any_true(x) for x in v)
    return False


def _put(out: dict, key: str, value: Any) -> None:
    if value is not _SKIP and value is not None:
        out[key] = value


def _number(value: Any) -> Any:
    """Task cpu/memory are strings in the plan ("1024"); whole numbers become ints."""
    if isinstance(value, bool) or value is _SKIP or value is None:
        return value
    if isinstance(value, (int, float)):
        return int(value) if float(value).is_integer() else value
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+(\.\d+)?\s*", value):
        n = float(value)
        return int(n) if n.is_integer() else n
    return value  # "1 vCPU", "2 GB": kept as the plan has them


def _resources(plan: dict) -> Iterator[dict]:
    for rc in plan.get("resource_changes") or []:
        if rc.get("mode", "managed") != "managed" or rc.get("type") not in KINDS:
            continue
        actions = (rc.get("change") or {}).get("actions") or []
        if actions == ["delete"]:
            continue
        yield rc


def expected_entities(plan_doc: dict) -> dict[str, dict]:
    """Resource instance address -> {"kind", "fields"} for the ECS-related resources."""
    out: dict[str, dict] = {}
    for rc in _resources(plan_doc):
        ch = rc.get("change") or {}
        v = _Value(ch.get("after") or {}, ch.get("after_unknown") or {},
                   ch.get("after_sensitive") or {})
        kind = KINDS[rc["type"]]
        out[rc["address"]] = {"kind": kind, "fields": _FIELDS[kind](v)}
    return out


# ------------------------------------------------------------------ task definitions

_CONTAINER_KEYS = {k.lower(): k for k in (
    "name", "image", "essential", "cpu", "memory", "memoryReservation", "command",
    "entryPoint", "environment", "healthCheck")}
_HEALTH_KEYS = {k.lower(): k for k in ("command", "interval", "timeout", "retries",
                                       "startPeriod")}


def _fold(obj: dict, names: dict[str, str]) -> dict:
    """Keys matched case-insensitively, in document order: the last match wins (Go's
    encoding/json, which the provider uses to read container definitions)."""
    out: dict = {}
    for key, value in obj.items():
        canon = names.get(key.lower()) if isinstance(key, str) else None
        if canon is not None:
            out[canon] = value
    return out


def _container(raw: Any) -> dict | None:
    if not isinstance(raw, dict):
        return None
    c = _fold(raw, _CONTAINER_KEYS)
    out: dict = {}
    for key in ("name", "image"):
        if isinstance(c.get(key), str):
            out[key] = c[key]
    essential = c.get("essential")
    out["essential"] = True if essential is None else essential
    for key in ("cpu", "memory", "memoryReservation"):
        _put(out, key, _number(c.get(key)))
    for key in ("command", "entryPoint"):
        if isinstance(c.get(key), list):
            out[key] = list(c[key])
    env = c.get("environment")
    if isinstance(env, list):
        pairs = [{"name": e.get("name"), "value": e.get("value")}
                 for e in env if isinstance(e, dict)]
        out["environment"] = sorted(pairs, key=lambda e: str(e["name"]))
    hc = c.get("healthCheck")
    if isinstance(hc, dict):
        h = _fold(hc, _HEALTH_KEYS)
        out["healthCheck"] = {k: (list(x) if k == "command" and isinstance(x, list)
                                  else _number(x))
                              for k, x in h.items() if x is not None}
    return out


def _task_definition(v: _Value) -> dict:
    f: dict = {}
    _put(f, "family", v["family"].get())
    _put(f, "cpu", _number(v["cpu"].get()))
    _put(f, "memory", _number(v["memory"].get()))
    rc = v["requires_compatibilities"].get()
    if isinstance(rc, list):
        f["requiresCompatibilities"] = sorted(rc)
    _put(f, "networkMode", v["network_mode"].get())
    text = v["container_definitions"].get()
    if isinstance(text, str):
        try:
            defs = json.loads(text)
        except ValueError:
            defs = None
        if isinstance(defs, list):
            f["containerDefinitions"] = [c for c in map(_container, defs) if c is not None]
    return f


# ------------------------------------------------------------------ the other kinds

def _service(v: _Value) -> dict:
    f: dict = {}
    _put(f, "serviceName", v["name"].get())
    _put(f, "launchType", v["launch_type"].get())
    strategy = v["scheduling_strategy"].get()
    if strategy is not _SKIP:
        f["schedulingStrategy"] = strategy or "REPLICA"
    _put(f, "healthCheckGracePeriodSeconds", v["health_check_grace_period_seconds"].get())
    _put(f, "desiredCount", v["desired_count"].get())
    lbs = []
    for lb in v["load_balancer"].items():
        item: dict = {}
        _put(item, "containerName", lb["container_name"].get())
        _put(item, "containerPort", lb["container_port"].get())
        lbs.append(item)
    if lbs:
        f["loadBalancers"] = sorted(lbs, key=lambda x: json.dumps(x, sort_keys=True))
    cps = []
    for s in v["capacity_provider_strategy"].items():
        item = {}
        _put(item, "capacityProvider", s["capacity_provider"].get())
        _put(item, "weight", s["weight"].get())
        _put(item, "base", s["base"].get())
        cps.append(item)
    if cps:
        f["capacityProviderStrategy"] = sorted(
            cps, key=lambda x: json.dumps(x, sort_keys=True))
    return f


def _cluster(v: _Value) -> dict:
    f: dict = {}
    _put(f, "clusterName", v["name"].get())
    for s in v["setting"].items():
        if s["name"].get() == "containerInsights":
            _put(f, "containerInsights", s["value"].get())
    return f


def _cluster_capacity_providers(v: _Value) -> dict:
    f: dict = {}
    _put(f, "cluster", v["cluster_name"].get())
    cps = v["capacity_providers"].get()
    if isinstance(cps, list):
        f["capacityProviders"] = sorted(cps)
    strategy = []
    for s in v["default_capacity_provider_strategy"].items():
        item: dict = {}
        _put(item, "capacityProvider", s["capacity_provider"].get())
        _put(item, "weight", s["weight"].get())
        _put(item, "base", s["base"].get())
        strategy.append(item)
    if strategy:
        f["defaultCapacityProviderStrategy"] = sorted(
            strategy, key=lambda x: json.dumps(x, sort_keys=True))
    return f


def _capacity_provider(v: _Value) -> dict:
    f: dict = {}
    _put(f, "name", v["name"].get())
    for asg in v["auto_scaling_group_provider"].items():
        for ms in asg["managed_scaling"].items():
            status = ms["status"].get()
            if status not in (_SKIP, None):
                f["managedScaling"] = {"status": status}
    return f


def _target_group(v: _Value) -> dict:
    f: dict = {}
    _put(f, "name", v["name"].get())
    _put(f, "protocol", v["protocol"].get())
    for hc in v["health_check"].items():
        h: dict = {}
        for key, attr in (("enabled", "enabled"), ("interval", "interval"),
                          ("timeout", "timeout"), ("healthyThreshold", "healthy_threshold"),
                          ("unhealthyThreshold", "unhealthy_threshold"),
                          ("protocol", "protocol")):
            _put(h, key, hc[attr].get())
        f["healthCheck"] = h
    return f


def _scalable_target(v: _Value) -> dict:
    f: dict = {}
    for key, attr in (("resourceId", "resource_id"), ("minCapacity", "min_capacity"),
                      ("maxCapacity", "max_capacity"),
                      ("scalableDimension", "scalable_dimension"),
                      ("serviceNamespace", "service_namespace")):
        _put(f, key, v[attr].get())
    return f


def _alarm(v: _Value) -> dict:
    f: dict = {}
    _put(f, "namespace", v["namespace"].get())
    _put(f, "metricName", v["metric_name"].get())
    _put(f, "actionsEnabled", v["actions_enabled"].get())
    return f


_FIELDS = {
    "task_definition": _task_definition,
    "service": _service,
    "cluster": _cluster,
    "cluster_capacity_providers": _cluster_capacity_providers,
    "capacity_provider": _capacity_provider,
    "target_group": _target_group,
    "scalable_target": _scalable_target,
    "alarm": _alarm,
}
