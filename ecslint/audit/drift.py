"""ECS905: settings a Terraform configuration declares that differ from the live ones."""

from __future__ import annotations

from typing import Any, Callable, Sequence, TypeVar

from ecslint import discover
from ecslint.audit import AuditError
from ecslint.audit.live_model import Live
from ecslint.cache.fsio import FileSystem
from ecslint.cache.parse import make_parser
from ecslint.engine import display_path, make_finding
from ecslint.model import (Container, ContainerHealthCheck, EcsModel, Entity, Finding, Location,
                           TargetGroupHealthCheck, TaskDefinition, is_unknown)
from ecslint.sources.build import build
from ecslint.sources.terraform import load

E = TypeVar("E", bound=Entity)

# (model field, Terraform argument) of a target group health_check block.
_TG_FIELDS = (("enabled", "enabled"), ("interval", "interval"), ("timeout", "timeout"),
              ("healthy_threshold", "healthy_threshold"),
              ("unhealthy_threshold", "unhealthy_threshold"), ("protocol", "protocol"))
# (model field, container definition key) of a container healthCheck.
_HC_FIELDS = (("command", "command"), ("interval", "interval"), ("timeout", "timeout"),
              ("retries", "retries"), ("start_period", "startPeriod"))


def read_configuration(directory: str) -> tuple[EcsModel, list[Finding]]:
    """The Terraform model of a directory (the static pipeline), and its parse errors."""
    fs = FileSystem()
    if not fs.isdir(directory):
        raise AuditError(f"--terraform {directory}: no such directory")
    inputs = discover.collect([directory], fs)
    if not inputs.module_dirs:
        raise AuditError(f"--terraform {directory}: no Terraform files found")
    roots, scan = discover.terraform_roots(inputs, fs)
    result = load(roots, make_parser(), fs, scan)
    problems = [make_finding("ECS001", p.message, Location(p.file, p.line, p.column))
                for p in result.problems]
    # Each root resolves its own relations; drift matches the roots' entities by name.
    config = EcsModel()
    for records in result.roots.values():
        model = build(records)
        for name in ("clusters", "capacity_providers", "target_groups", "services",
                     "task_definitions"):
            getattr(config, name).extend(getattr(model, name))
    return config, problems


def _declared(value: Any) -> bool:
    """Only values the configuration states are compared: unset and unknown are skipped."""
    return value is not None and not is_unknown(value)


def _same(declared: Any, live: Any) -> bool:
    if isinstance(declared, str) and isinstance(live, str):
        return declared.lower() == live.lower()
    if isinstance(declared, (list, tuple)) and isinstance(live, (list, tuple)):
        return [str(x) for x in declared] == [str(x) for x in live]
    try:
        return float(declared) == float(live)
    except (TypeError, ValueError):
        return declared == live


class _Declared:
    """Stands for a whole healthCheck block, compared with a live revision that has none."""


HEALTH_CHECK = _Declared()


def _show(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


def _where(entity: Entity, path: str) -> str:
    loc = entity.loc(path)
    if loc.line is None:
        return display_path(loc.file)
    return f"{display_path(loc.file)}:{loc.line}"


def _by_name(entities: Sequence[E], name: Any) -> E | None:
    hits = sorted((e for e in entities if getattr(e, "name", None) == name),
                  key=lambda e: e.address)
    return hits[0] if hits else None


def findings(config: EcsModel, live: Live) -> list[Finding]:
    out: list[Finding] = []

    def drift(live_entity: Entity, subject: str, setting: str, cfg_entity: Entity, path: str,
              declared: Any, actual: Any, container: Container | None = None) -> None:
        # Only what the configuration writes: a provider default filled in by the model
        # (a health check's thresholds) is not a declared setting.
        written = path in cfg_entity.locs
        if not written or not _declared(declared) or is_unknown(actual) \
                or _same(declared, actual):
            return
        if isinstance(declared, _Declared):
            text = (f"{subject}: Terraform declares a {setting} ({_where(cfg_entity, path)}) "
                    "but the live revision has none")
        else:
            text = (f"{subject}: Terraform declares {setting} = {_show(declared)} "
                    f"({_where(cfg_entity, path)}) but the live value is {_show(actual)}")
        out.append(make_finding(
            "ECS905", text,
            Location(live_entity.address), live_entity.address,
            container.name if container is not None else None))

    model = live.model
    for cluster in model.clusters:
        cfg = _by_name(config.clusters, cluster.name)
        if cfg is not None:
            drift(cluster, f"cluster '{cluster.name}'", "containerInsights", cfg,
                  "container_insights", cfg.container_insights, cluster.container_insights)
    for cp in model.capacity_providers:
        cfg_cp = _by_name(config.capacity_providers, cp.name)
        if cfg_cp is not None:
            drift(cp, f"capacity provider '{cp.name}'", "managed_scaling.status", cfg_cp,
                  "managed_scaling_status", cfg_cp.managed_scaling_status,
                  cp.managed_scaling_status)
    for tg in model.target_groups:
        cfg_tg = _by_name(config.target_groups, tg.name)
        if cfg_tg is None or not isinstance(cfg_tg.health_check, TargetGroupHealthCheck) \
                or not isinstance(tg.health_check, TargetGroupHealthCheck):
            continue
        for attr, arg in _TG_FIELDS:
            drift(tg, f"target group '{tg.name}'", f"health_check.{arg}", cfg_tg,
                  f"health_check.{attr}", getattr(cfg_tg.health_check, attr),
                  getattr(tg.health_check, attr))
    for live_service in live.services:
        svc = live_service.service
        td = svc.task_definition
        if td is None:
            continue
        cfg_td = _configured_task(config, svc.name, live_service.cluster, td.family)
        if cfg_td is not None:
            _task_drift(drift, td, cfg_td)
    return out


def _configured_task(config: EcsModel, service: Any, cluster: str, family: Any
                     ) -> TaskDefinition | None:
    """The service's task definition in Terraform (matched by service name), else by family."""
    for cfg_svc in sorted(config.services, key=lambda s: s.address):
        cfg_cluster = cfg_svc.cluster.name if cfg_svc.cluster is not None else None
        if cfg_svc.name == service and cfg_cluster in (None, cluster) \
                and cfg_svc.task_definition is not None:
            return cfg_svc.task_definition
    return _by_family(config.task_definitions, family)


def _by_family(tds: Sequence[TaskDefinition], family: Any) -> TaskDefinition | None:
    hits = sorted((t for t in tds if t.family == family), key=lambda t: t.address)
    return hits[0] if hits else None


def _task_drift(drift: Callable[..., None], td: TaskDefinition, cfg: TaskDefinition) -> None:
    subject = f"task definition '{td.family}' (current revision)"
    drift(td, subject, "cpu", cfg, "cpu", cfg.cpu, td.cpu)
    drift(td, subject, "memory", cfg, "memory", cfg.memory, td.memory)
    if is_unknown(cfg.containers) or is_unknown(td.containers):
        return
    for cfg_c in cfg.containers:
        live_c = td.container(cfg_c.name)
        cfg_hc = cfg_c.health_check
        if live_c is None or not isinstance(cfg_hc, ContainerHealthCheck):
            continue
        who = f"{subject} container '{cfg_c.name}'"
        live_hc = live_c.health_check
        if not isinstance(live_hc, ContainerHealthCheck):
            if live_hc is None:
                drift(live_c, who, "healthCheck", cfg_c, "health_check", HEALTH_CHECK, None,
                      live_c)
            continue
        for attr, key in _HC_FIELDS:
            drift(live_c, who, f"healthCheck.{key}", cfg_c, f"health_check.{attr}",
                  getattr(cfg_hc, attr), getattr(live_hc, attr), live_c)
