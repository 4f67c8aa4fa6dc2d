"""Terraform resource records (from HCL or plan JSON) -> the normalized model, with relations."""

from __future__ import annotations

import re
from typing import Any, Collection, Sequence, TypeVar

from ecslint.model import (UNKNOWN, AccountSetting, AppScalingPolicy, AutoScalingGroup,
                           AutoScalingPolicy, CapacityProvider, Cluster, EcsModel, Entity,
                           LoadBalancerAttachment, Location, MetricAlarm, ScalableTarget,
                           Service, TargetGroup, TargetGroupHealthCheck, TaskDefinition,
                           Unknown)
from ecslint.sources.hcl.module import ResourceRecord
from ecslint.sources.taskdef import containers_from, decode_container_definitions, parse_cpu, \
    parse_memory
from ecslint.sources.values import refs_of

RESOURCE_TYPES = frozenset({
    "aws_ecs_task_definition", "aws_ecs_service", "aws_ecs_cluster",
    "aws_ecs_cluster_capacity_providers", "aws_ecs_capacity_provider", "aws_autoscaling_group",
    "aws_autoscaling_policy", "aws_cloudwatch_metric_alarm", "aws_lb_target_group",
    "aws_alb_target_group", "aws_appautoscaling_target", "aws_appautoscaling_policy",
    "aws_ecs_account_setting_default",
})

E = TypeVar("E", bound=Entity)


def _block(values: dict, key: str) -> dict | None:
    """The first nested block `key` (Terraform blocks are lists of objects)."""
    v = values.get(key)
    if isinstance(v, list) and v and isinstance(v[0], dict):
        return v[0]
    if isinstance(v, dict):
        return v
    return None


def _blocks(values: dict, key: str) -> list[dict]:
    v = values.get(key)
    return [b for b in v if isinstance(b, dict)] if isinstance(v, list) else []


def _locs(values: Any, prefix: str = "", out: dict | None = None) -> dict[str, Location]:
    """Field path -> Location for attributes and nested blocks (first block unnumbered)."""
    out = {} if out is None else out
    pos = getattr(values, "pos", None)
    if not isinstance(values, dict) or not isinstance(pos, dict):
        return out
    for key, val in values.items():
        if key in pos:
            out.setdefault(prefix + key, pos[key])
        if isinstance(val, list) and val and isinstance(val[0], dict):
            item_pos = getattr(val, "pos", [])
            for i, item in enumerate(val):
                if i < len(item_pos) and item_pos[i] is not None:
                    out.setdefault(f"{prefix}{key}.{i}", item_pos[i])
                _locs(item, f"{prefix}{key}.{i}.", out)
            _locs(val[0], f"{prefix}{key}.", out)
    return out


def _tags(values: dict) -> dict:
    tags = values.get("tags")
    return dict(tags) if isinstance(tags, dict) else {}


def _entity(cls: type[E], rec: ResourceRecord, **kw: Any) -> E:
    return cls(address=rec.address, where=rec.where, locs=_locs(rec.values),
               tags=_tags(rec.values), origin=rec.origin, **kw)


def _bool(value: Any, default: Any) -> Any:
    """A value with its default when unset ("true"/"false" strings made bools)."""
    if value is None:
        return default
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def _num(value: Any) -> Any:
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    return value


# ------------------------------------------------------------------ matching references

def _strip_index(address: str) -> str:
    return re.sub(r"\[[^\]]*\]", "", address)


def refers_to(refs: Collection[str], address: str) -> bool:
    dot, bracket = address + ".", address + "["
    for ref in refs:
        if ref == address or ref.startswith(dot) or ref.startswith(bracket):
            return True
    if "[" in address:  # a reference to a whole counted resource names each instance
        bare = _strip_index(address)
        for ref in refs:
            if "[" not in ref and (ref == bare or ref.startswith(bare + ".")):
                return True
    return False


def _name_in(value: str, name: Any) -> bool:
    """A known name/ARN string `value` names the entity called `name`."""
    if not isinstance(name, str) or not name:
        return False
    return value == name or value.endswith("/" + name) or value.endswith(":" + name) \
        or f"/{name}:" in value or f"/{name}/" in value or value.startswith(name + ":")


def resolve(value: Any, candidates: Sequence[E], names: Any = None) -> list[E]:
    """Entities a reference value points at: by Terraform address, else by name/ARN."""
    if value is None:
        return []
    refs = refs_of(value)
    if refs:
        hits = [c for c in candidates if refers_to(refs, c.address)]
        if hits:
            return hits
    if isinstance(value, str):
        key = names or (lambda c: getattr(c, "name", None))
        return [c for c in candidates if _name_in(value, key(c))]
    return []


def _one(value: Any, candidates: Sequence[E], names: Any = None) -> E | None:
    hits = resolve(value, candidates, names)
    return hits[0] if hits else None


# ------------------------------------------------------------------ entities

def _task_definition(rec: ResourceRecord) -> TaskDefinition:
    v = rec.values
    td = _entity(TaskDefinition, rec, family=v.get("family"), cpu=parse_cpu(v.get("cpu")),
                 memory=parse_memory(v.get("memory")),
                 requires_compatibilities=v.get("requires_compatibilities"),
                 network_mode=v.get("network_mode"))
    defs = decode_container_definitions(v.get("container_definitions"))
    where = td.locs.get("container_definitions", td.where)
    td.containers = containers_from(defs, rec.address, where, rec.origin, td.tags)
    return td


def _target_group(rec: ResourceRecord) -> TargetGroup:
    v = rec.values
    hc = _block(v, "health_check")
    tg = _entity(TargetGroup, rec, name=v.get("name"), protocol=v.get("protocol"),
                 target_type=v.get("target_type"))
    if isinstance(v.get("health_check"), Unknown):
        tg.health_check = UNKNOWN
    elif hc is not None:
        tg.health_check = TargetGroupHealthCheck(
            enabled=_bool(hc.get("enabled"), True), interval=_num(hc.get("interval")),
            timeout=_num(hc.get("timeout")), healthy_threshold=_num(hc.get("healthy_threshold")),
            unhealthy_threshold=_num(hc.get("unhealthy_threshold")), protocol=hc.get("protocol"))
    if tg.protocol in ("TCP", "TLS", "UDP", "TCP_UDP"):
        tg.load_balancer_type = "network"
    return tg


def _cluster(rec: ResourceRecord) -> Cluster:
    v = rec.values
    cl = _entity(Cluster, rec, name=v.get("name"))
    settings = v.get("setting")
    if isinstance(settings, Unknown):
        cl.container_insights = UNKNOWN
    for i, s in enumerate(_blocks(v, "setting")):
        if isinstance(s.get("name"), Unknown):
            cl.container_insights = UNKNOWN
        elif s.get("name") == "containerInsights":
            cl.container_insights = s.get("value")
            if f"setting.{i}" in cl.locs:
                cl.locs["setting"] = cl.locs[f"setting.{i}"]
            if f"setting.{i}.value" in cl.locs:
                cl.locs["setting.value"] = cl.locs[f"setting.{i}.value"]
    return cl


def build(records: list[ResourceRecord]) -> EcsModel:
    by_type: dict[str, list[ResourceRecord]] = {}
    for rec in records:
        by_type.setdefault(rec.type, []).append(rec)

    def of(*types: str) -> list[ResourceRecord]:
        return [r for t in types for r in by_type.get(t, [])]

    m = EcsModel()
    m.task_definitions = [_task_definition(r) for r in of("aws_ecs_task_definition")]
    m.target_groups = [_target_group(r) for r in of("aws_lb_target_group", "aws_alb_target_group")]
    m.clusters = [_cluster(r) for r in of("aws_ecs_cluster")]
    m.auto_scaling_groups = [
        _entity(AutoScalingGroup, r, name=r.values.get("name"), min_size=r.values.get("min_size"),
                max_size=r.values.get("max_size"),
                suspended_processes=r.values.get("suspended_processes"))
        for r in of("aws_autoscaling_group")]
    for asg in m.auto_scaling_groups:  # tags on ASGs are `tag` blocks, not a map
        asg.tags = {}

    for r in of("aws_autoscaling_policy"):
        pol = _entity(AutoScalingPolicy, r, enabled=_bool(r.values.get("enabled"), True))
        pol.auto_scaling_group = _one(r.values.get("autoscaling_group_name"),
                                      m.auto_scaling_groups)
        m.autoscaling_policies.append(pol)

    for r in of("aws_cloudwatch_metric_alarm"):
        v = r.values
        alarm = _entity(MetricAlarm, r, namespace=v.get("namespace"),
                        metric_name=v.get("metric_name"),
                        actions_enabled=_bool(v.get("actions_enabled"), True),
                        alarm_actions=v.get("alarm_actions"))
        actions = v.get("alarm_actions")
        items = actions if isinstance(actions, list) else [actions]
        for item in items:
            for pol in resolve(item, m.autoscaling_policies, lambda p: _policy_name(p)):
                if pol not in alarm.policies:
                    alarm.policies.append(pol)
        m.alarms.append(alarm)

    for r in of("aws_ecs_capacity_provider"):
        v = r.values
        provider = _block(v, "auto_scaling_group_provider") or {}
        cp = _entity(CapacityProvider, r, name=v.get("name"))
        if isinstance(v.get("auto_scaling_group_provider"), Unknown):
            cp.managed_scaling_status = cp.uses_auto_scaling_group = UNKNOWN
        elif not _blocks(v, "auto_scaling_group_provider"):
            cp.uses_auto_scaling_group = False
        ms = _block(provider, "managed_scaling")
        if isinstance(provider.get("managed_scaling"), Unknown):
            cp.managed_scaling_status = UNKNOWN
        elif ms is not None:
            status = ms.get("status")
            # The provider's schema computes status; a block without it is ENABLED in AWS.
            cp.managed_scaling_status = "ENABLED" if status is None else status
        for k in ("managed_scaling", "managed_scaling.status"):
            full = f"auto_scaling_group_provider.{k}"
            if full in cp.locs:
                cp.locs[k] = cp.locs[full]
        cp.auto_scaling_group = _one(provider.get("auto_scaling_group_arn"),
                                     m.auto_scaling_groups)
        m.capacity_providers.append(cp)

    _attach_capacity_providers(m, of("aws_ecs_cluster_capacity_providers"),
                               of("aws_ecs_cluster"))

    for r in of("aws_appautoscaling_target"):
        v = r.values
        ss = _block(v, "suspended_state") or {}
        st = _entity(ScalableTarget, r, resource_id=v.get("resource_id"),
                     service_namespace=v.get("service_namespace"),
                     scalable_dimension=v.get("scalable_dimension"),
                     min_capacity=_num(v.get("min_capacity")),
                     max_capacity=_num(v.get("max_capacity")),
                     dynamic_scaling_out_suspended=_bool(
                         ss.get("dynamic_scaling_out_suspended"), False))
        m.scalable_targets.append(st)
    for r in of("aws_appautoscaling_policy"):
        pol_app = _entity(AppScalingPolicy, r, policy_type=r.values.get("policy_type"))
        rid = r.values.get("resource_id")
        for st in m.scalable_targets:
            same_id = isinstance(rid, str) and rid == st.resource_id
            if same_id or refers_to(refs_of(rid), st.address):
                st.policies.append(pol_app)

    for r in of("aws_ecs_account_setting_default"):
        m.account_settings.append(_entity(AccountSetting, r, name=r.values.get("name"),
                                          value=r.values.get("value")))

    for r in of("aws_ecs_service"):
        m.services.append(_service(r, m))
    return m


def _policy_name(pol: AutoScalingPolicy) -> Any:
    return pol.address.rsplit(".", 1)[-1]


def _attach_capacity_providers(m: EcsModel, links: list[ResourceRecord],
                               clusters: list[ResourceRecord]) -> None:
    for r in links:
        v = r.values
        for cluster in resolve(v.get("cluster_name"), m.clusters):
            names = v.get("capacity_providers")
            for item in names if isinstance(names, list) else []:
                for cp in resolve(item, m.capacity_providers):
                    if cp not in cluster.capacity_providers:
                        cluster.capacity_providers.append(cp)
            for strat in _blocks(v, "default_capacity_provider_strategy"):
                name = strat.get("capacity_provider")
                hit = _one(name, m.capacity_providers)
                cluster.default_strategy.append(hit.name if hit else name)
    for cluster in m.clusters:
        for cp in cluster.capacity_providers:
            if cp.auto_scaling_group and cp.auto_scaling_group not in cluster.auto_scaling_groups:
                cluster.auto_scaling_groups.append(cp.auto_scaling_group)


def _service(r: ResourceRecord, m: EcsModel) -> Service:
    v = r.values
    svc = _entity(Service, r, name=v.get("name"), launch_type=v.get("launch_type"),
                  scheduling_strategy=_bool(v.get("scheduling_strategy"), "REPLICA"),
                  health_check_grace_period=_num(v.get("health_check_grace_period_seconds")))
    svc.cluster = _one(v.get("cluster"), m.clusters)
    svc.task_definition = _one(v.get("task_definition"), m.task_definitions,
                               lambda td: td.family)
    strategy = v.get("capacity_provider_strategy")
    if isinstance(strategy, Unknown):
        svc.capacity_provider_strategy = UNKNOWN
    elif _blocks(v, "capacity_provider_strategy"):
        names = []
        for s in _blocks(v, "capacity_provider_strategy"):
            hit = _one(s.get("capacity_provider"), m.capacity_providers)
            names.append(hit.name if hit else s.get("capacity_provider"))
        svc.capacity_provider_strategy = names
    for i, lb in enumerate(_blocks(v, "load_balancer")):
        tg = _one(lb.get("target_group_arn"), m.target_groups)
        svc.load_balancers.append(LoadBalancerAttachment(
            tg, lb.get("container_name"), _num(lb.get("container_port")), f"load_balancer.{i}"))
    if isinstance(v.get("load_balancer"), Unknown):
        svc.load_balancers = []
    for st in m.scalable_targets:
        if st.service_namespace not in ("ecs", None) and not isinstance(st.service_namespace,
                                                                        Unknown):
            continue
        rid = st.resource_id
        if refers_to(refs_of(rid), r.address) or (
                isinstance(rid, str) and isinstance(svc.name, str)
                and rid.startswith("service/") and rid.rsplit("/", 1)[-1] == svc.name
                and (svc.cluster is None or not isinstance(svc.cluster.name, str)
                     or rid.split("/")[1] == svc.cluster.name)):
            svc.scalable_target = st
    return svc
