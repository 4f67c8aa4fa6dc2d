"""Terraform resource records (from HCL or plan JSON) -> the normalized model, with relations.

Every value is converted once here (ecslint.unknown) and its location recorded under its
model field (`take`), so rules read typed fields and report model paths.
"""

from __future__ import annotations

import re
from typing import Any, Collection, Sequence, TypeVar

from ecslint.model import (UNKNOWN, AccountSetting, AppScalingPolicy, AutoScalingGroup,
                           AutoScalingPolicy, CapacityProvider, Cluster, EcsModel, Entity,
                           LoadBalancerAttachment, Location, MetricAlarm, ScalableTarget,
                           Service, TargetGroup, TargetGroupHealthCheck, TaskDefinition,
                           Unknown)
from ecslint.sources.hcl.module import ResourceRecord
from ecslint.sources.taskdef import (Convert, containers_from, decode_container_definitions,
                                     parse_cpu, parse_memory, position, take)
from ecslint.sources.values import refs_of
from ecslint.unknown import UNKNOWN_MARK, boolean, known_text, number, text, texts

RESOURCE_TYPES = frozenset({
    "aws_ecs_task_definition", "aws_ecs_service", "aws_ecs_cluster",
    "aws_ecs_cluster_capacity_providers", "aws_ecs_capacity_provider", "aws_autoscaling_group",
    "aws_autoscaling_policy", "aws_cloudwatch_metric_alarm", "aws_lb_target_group",
    "aws_alb_target_group", "aws_appautoscaling_target", "aws_appautoscaling_policy",
    "aws_ecs_account_setting_default",
})

E = TypeVar("E", bound=Entity)

# aws_lb_target_group health_check defaults of the AWS provider, when a block is set.
PROVIDER_HEALTH_CHECK = (("healthy_threshold", 3), ("unhealthy_threshold", 3),
                         ("protocol", "HTTP"))


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


def _block_where(values: dict, key: str) -> Location | None:
    """Where the first `key` block (or attribute) of `values` was written, if known."""
    v = values.get(key)
    return (position(v, 0) if isinstance(v, list) else None) or position(values, key)


def _record(entity: Entity, path: str, where: Location | None) -> None:
    if where is not None:
        entity.record(path, where)


def _tags(values: dict) -> dict:
    tags = values.get("tags")
    return dict(tags) if isinstance(tags, dict) else {}


def _entity(cls: type[E], rec: ResourceRecord) -> E:
    return cls(address=rec.address, where=rec.where, tags=_tags(rec.values),
               source=rec.module_dir, calls=rec.calls)


def _fields(entity: Entity, values: dict, fields: tuple[tuple[str, str, Convert], ...],
            target: Any = None, prefix: str = "") -> None:
    """`take` each (model field, Terraform argument, converter) of `fields`."""
    for field, key, convert in fields:
        take(entity, prefix + field, values, key, convert, target)


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

def _upper(v: Any) -> Any:
    v = text(v)
    return v.upper() if isinstance(v, str) else v


def _lower(v: Any) -> Any:
    v = text(v)
    return v.lower() if isinstance(v, str) else v


Fields = tuple[tuple[str, str, Convert], ...]  # (model field, Terraform argument, converter)
_TASK_FIELDS: Fields = (
    ("family", "family", text), ("cpu", "cpu", parse_cpu), ("memory", "memory", parse_memory),
    ("requires_compatibilities", "requires_compatibilities", texts),
    ("network_mode", "network_mode", text),
    ("containers", "container_definitions", lambda v: None))  # decoded below
_TARGET_GROUP_FIELDS: Fields = (
    ("name", "name", text), ("protocol", "protocol", _upper),
    ("target_type", "target_type", text))
_TG_HEALTH_CHECK_FIELDS: Fields = (
    ("enabled", "enabled", lambda v: boolean(v, True)), ("interval", "interval", number),
    ("timeout", "timeout", number), ("healthy_threshold", "healthy_threshold", number),
    ("unhealthy_threshold", "unhealthy_threshold", number), ("protocol", "protocol", _upper))
_ASG_FIELDS: Fields = (
    ("name", "name", text), ("min_size", "min_size", number), ("max_size", "max_size", number),
    ("suspended_processes", "suspended_processes", texts))
_ALARM_FIELDS: Fields = (
    ("namespace", "namespace", text), ("metric_name", "metric_name", text),
    ("actions_enabled", "actions_enabled", lambda v: boolean(v, True)),
    ("alarm_actions", "alarm_actions", texts))
_TARGET_FIELDS: Fields = (
    ("resource_id", "resource_id", text), ("service_namespace", "service_namespace", text),
    ("scalable_dimension", "scalable_dimension", text),
    ("min_capacity", "min_capacity", number), ("max_capacity", "max_capacity", number))
_SERVICE_FIELDS: Fields = (
    ("name", "name", text), ("launch_type", "launch_type", _upper),
    ("scheduling_strategy", "scheduling_strategy", lambda v: text(v, "REPLICA")),
    ("health_check_grace_period", "health_check_grace_period_seconds", number))


def _task_definition(rec: ResourceRecord) -> TaskDefinition:
    td = _entity(TaskDefinition, rec)
    _fields(td, rec.values, _TASK_FIELDS)
    defs = decode_container_definitions(rec.values.get("container_definitions"))
    td.containers = containers_from(defs, rec.address, td.loc("containers"), rec.module_dir,
                                    td.tags, rec.calls)
    return td


def _target_group(rec: ResourceRecord) -> TargetGroup:
    v = rec.values
    tg = _entity(TargetGroup, rec)
    _fields(tg, v, _TARGET_GROUP_FIELDS)
    hc = _block(v, "health_check")
    if isinstance(v.get("health_check"), Unknown):
        tg.health_check = UNKNOWN
    elif hc is not None:
        tg.health_check = TargetGroupHealthCheck()
        _record(tg, "health_check", _block_where(v, "health_check"))
        _fields(tg, hc, _TG_HEALTH_CHECK_FIELDS, tg.health_check, "health_check.")
        # With a health_check block the AWS provider defaults both thresholds to 3 (not
        # AWS's 5 and 2, which apply without a block) and the protocol to HTTP; a plan
        # already carries them.
        for attr, default in PROVIDER_HEALTH_CHECK:
            if getattr(tg.health_check, attr) is None:
                setattr(tg.health_check, attr, default)
    if tg.protocol in ("TCP", "TLS", "UDP", "TCP_UDP"):
        tg.load_balancer_type = "network"
    return tg


def _cluster(rec: ResourceRecord) -> Cluster:
    v = rec.values
    cl = _entity(Cluster, rec)
    take(cl, "name", v, "name", text)
    if isinstance(v.get("setting"), Unknown):
        cl.container_insights = UNKNOWN
    for i, s in enumerate(_blocks(v, "setting")):
        if isinstance(s.get("name"), Unknown):
            cl.container_insights = UNKNOWN
        elif s.get("name") == "containerInsights":
            take(cl, "container_insights", s, "value", _lower)
            if "container_insights" not in cl.locs:
                _record(cl, "container_insights", position(v["setting"], i))
    return cl


def _capacity_provider(r: ResourceRecord, m: EcsModel) -> CapacityProvider:
    v = r.values
    provider = _block(v, "auto_scaling_group_provider") or {}
    cp = _entity(CapacityProvider, r)
    take(cp, "name", v, "name", text)
    if isinstance(v.get("auto_scaling_group_provider"), Unknown):
        cp.managed_scaling_status = cp.uses_auto_scaling_group = UNKNOWN
    elif not _blocks(v, "auto_scaling_group_provider"):
        cp.uses_auto_scaling_group = False
    ms = _block(provider, "managed_scaling")
    if isinstance(provider.get("managed_scaling"), Unknown):
        cp.managed_scaling_status = UNKNOWN
    elif ms is not None:
        # The provider's schema computes status; a block without it is ENABLED in AWS.
        take(cp, "managed_scaling_status", ms, "status", lambda s: _upper(text(s, "ENABLED")))
        if "managed_scaling_status" not in cp.locs:
            _record(cp, "managed_scaling_status", _block_where(provider, "managed_scaling"))
    cp.auto_scaling_group = _one(provider.get("auto_scaling_group_arn"), m.auto_scaling_groups)
    return cp


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
    for r in of("aws_autoscaling_group"):
        asg = AutoScalingGroup(address=r.address, where=r.where, source=r.module_dir,
                               calls=r.calls)
        _fields(asg, r.values, _ASG_FIELDS)  # (tags on ASGs are `tag` blocks, not a map)
        m.auto_scaling_groups.append(asg)

    for r in of("aws_autoscaling_policy"):
        pol = _entity(AutoScalingPolicy, r)
        take(pol, "enabled", r.values, "enabled", lambda v: boolean(v, True))
        pol.auto_scaling_group = _one(r.values.get("autoscaling_group_name"),
                                      m.auto_scaling_groups)
        m.autoscaling_policies.append(pol)

    for r in of("aws_cloudwatch_metric_alarm"):
        alarm = _entity(MetricAlarm, r)
        _fields(alarm, r.values, _ALARM_FIELDS)
        actions = r.values.get("alarm_actions")
        for item in actions if isinstance(actions, list) else [actions]:
            for pol in resolve(item, m.autoscaling_policies, lambda p: _policy_name(p)):
                if pol not in alarm.policies:
                    alarm.policies.append(pol)
        m.alarms.append(alarm)

    m.capacity_providers = [_capacity_provider(r, m) for r in of("aws_ecs_capacity_provider")]
    _attach_capacity_providers(m, of("aws_ecs_cluster_capacity_providers"),
                               of("aws_ecs_cluster"))

    for r in of("aws_appautoscaling_target"):
        st = _entity(ScalableTarget, r)
        _fields(st, r.values, _TARGET_FIELDS)
        take(st, "dynamic_scaling_out_suspended", _block(r.values, "suspended_state") or {},
             "dynamic_scaling_out_suspended", lambda x: boolean(x, False))
        st.cluster_name, st.service_name = service_of_resource_id(st.resource_id)
        m.scalable_targets.append(st)
    for r in of("aws_appautoscaling_policy"):
        pol_app = _entity(AppScalingPolicy, r)
        take(pol_app, "policy_type", r.values, "policy_type", text)
        rid = r.values.get("resource_id")
        for st in m.scalable_targets:
            same_id = isinstance(rid, str) and rid == st.resource_id
            if same_id or refers_to(refs_of(rid), st.address):
                st.policies.append(pol_app)

    for r in of("aws_ecs_account_setting_default"):
        setting = _entity(AccountSetting, r)
        _fields(setting, r.values, (("name", "name", text), ("value", "value", _lower)))
        m.account_settings.append(setting)

    m.services = [_service(r, m) for r in of("aws_ecs_service")]
    return m


def service_of_resource_id(rid: Any) -> tuple[Any, Any]:
    """(cluster, service) named by an ECS resource id `service/<cluster>/<service>`, each a
    string or UNKNOWN where that part is not known (a template with an unknown cluster
    name still names its service); (None, None) when it names no service."""
    shown = known_text(rid)
    if shown is None:
        return (UNKNOWN, UNKNOWN) if isinstance(rid, Unknown) else (None, None)
    parts = shown.split("/")
    if len(parts) != 3 or parts[0] != "service":
        if UNKNOWN_MARK in shown:
            return UNKNOWN, UNKNOWN
        return None, None
    return tuple(UNKNOWN if UNKNOWN_MARK in p or not p else p for p in parts[1:])  # type: ignore


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
                cluster.default_strategy.append(hit.name if hit else text(name, UNKNOWN))
    for cluster in m.clusters:
        for cp in cluster.capacity_providers:
            if cp.auto_scaling_group and cp.auto_scaling_group not in cluster.auto_scaling_groups:
                cluster.auto_scaling_groups.append(cp.auto_scaling_group)


def _service(r: ResourceRecord, m: EcsModel) -> Service:
    v = r.values
    svc = _entity(Service, r)
    _fields(svc, v, _SERVICE_FIELDS)
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
            names.append(hit.name if hit else text(s.get("capacity_provider"), UNKNOWN))
        svc.capacity_provider_strategy = names
    for i, lb in enumerate(_blocks(v, "load_balancer")):
        tg = _one(lb.get("target_group_arn"), m.target_groups)
        svc.load_balancers.append(LoadBalancerAttachment(
            tg, text(lb.get("container_name")), number(lb.get("container_port")),
            f"load_balancers.{i}"))
        _record(svc, f"load_balancers.{i}", position(v["load_balancer"], i))
    if isinstance(v.get("load_balancer"), Unknown):
        svc.load_balancers = []
    for st in m.scalable_targets:
        if st.service_namespace not in ("ecs", None) and not isinstance(st.service_namespace,
                                                                        Unknown):
            continue
        cluster = svc.cluster.name if svc.cluster is not None else None
        if refers_to(refs_of(st.resource_id), r.address) or (
                isinstance(svc.name, str) and st.service_name == svc.name
                and (not isinstance(cluster, str) or not isinstance(st.cluster_name, str)
                     or st.cluster_name == cluster)):
            svc.scalable_target = st
    return svc
