"""The live account -> the normalized model: the same objects the Terraform sources build."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ecslint.audit import AuditError, live_related
from ecslint.audit.aws import Aws, chunks
from ecslint.audit.live_related import TargetGroups, asg_name, at
from ecslint.model import (UNKNOWN, AccountSetting, CapacityProvider, Cluster, EcsModel,
                           LoadBalancerAttachment, Service, TargetGroup, TaskDefinition)
from ecslint.sources.taskdef import task_definition_from_json

# Built-in Fargate providers have no Auto Scaling group to describe.
_FARGATE_PROVIDERS = frozenset({"FARGATE", "FARGATE_SPOT"})


def name_of(arn_or_name: str) -> str:
    """Cluster, service and capacity provider names are the last segment of their ARN."""
    return arn_or_name.rsplit("/", 1)[-1]


@dataclass
class LiveService:
    service: Service
    cluster: str  # cluster name
    events: list[dict] = field(default_factory=list)  # describe_services `events`
    # The current revision, the one new tasks run.
    task_definition_arn: str | None = None

    @property
    def label(self) -> str:
        return f"{self.cluster}/{self.service.name}"


@dataclass
class Live:
    model: EcsModel
    services: list[LiveService]  # sorted by cluster, then service name
    clusters: list[Cluster]
    target_groups: TargetGroups
    # Clusters and services asked for and not found (`strict=False`), e.g. "cluster staging".
    missing: list[str] = field(default_factory=list)
    # Whether the region's cluster list was read (an empty region is then known to be empty).
    listed: bool = True


def read_account(aws: Aws, clusters: list[str], services: list[str],
                 strict: bool = True) -> Live:
    """The live model. `strict`: a cluster or service asked for and not found stops the audit
    (AuditError); otherwise it is listed in `missing`."""
    model = EcsModel(live=True)
    model.clusters, providers, missing, listed = _clusters(aws, clusters)
    if missing and strict:
        raise AuditError(f"cluster not found: {', '.join(missing)}")
    gone = [f"cluster {name}" for name in missing]
    if not model.clusters:
        return Live(model, [], [], TargetGroups(), gone, listed)
    model.account_settings = _account_settings(aws)
    asg_arns = _capacity_providers(aws, model, providers)
    _cluster_scaling(aws, model, asg_arns)
    live_services, listed_all = _services(aws, model.clusters, services)
    missing = sorted(set(services) - {w for w in services for s in live_services
                                      if w in (s.service.name, s.service.address)})
    if missing and listed_all and strict:
        raise AuditError(f"service not found in the audited clusters: {', '.join(missing)}")
    if listed_all:
        gone += [f"service {name}" for name in missing]
    model.services = [s.service for s in live_services]

    tds = _task_definitions(aws, sorted({s.task_definition_arn for s in live_services
                                         if s.task_definition_arn}))
    model.task_definitions = [tds[arn] for arn in sorted(tds)]
    tg_arns = [lb.target_group.address for s in model.services for lb in s.load_balancers
               if lb.target_group is not None]
    tgs = live_related.target_groups(aws, tg_arns)
    model.target_groups = [tgs.by_arn[arn] for arn in sorted(tgs.by_arn)]
    for live in live_services:
        svc = live.service
        svc.task_definition = tds.get(live.task_definition_arn or "")
        for lb in svc.load_balancers:
            if lb.target_group is not None:
                lb.target_group = tgs.by_arn.get(lb.target_group.address)
    by_resource_id = {f"service/{s.cluster}/{s.service.name}": s.service for s in live_services}
    model.scalable_targets = live_related.scalable_targets(aws, by_resource_id)
    return Live(model, live_services, model.clusters, tgs, gone)


# ------------------------------------------------------------------ clusters

def _clusters(aws: Aws, wanted: list[str]
              ) -> tuple[list[Cluster], dict[str, list[str]], list[str], bool]:
    """The clusters, the capacity provider names of each (by cluster name), the wanted ones
    that do not exist (or are inactive), and whether the list of clusters was read."""
    listed = True
    if wanted:
        refs = list(dict.fromkeys(wanted))
    else:
        pages = aws.pages("ecs", "list_clusters", "the clusters of the account (every check)")
        listed = pages is not None
        refs = sorted(a for page in pages or [] for a in page.get("clusterArns", []))
    out: dict[str, Cluster] = {}
    providers: dict[str, list[str]] = {}

    def describe(chunk: list[str]) -> dict | None:
        names = ", ".join(name_of(r) for r in chunk)
        return aws.call("ecs", "describe_clusters",
                        f"settings of clusters {names} (ECS301, ECS401, ECS402)",
                        clusters=chunk, include=["SETTINGS", "CONFIGURATIONS"])

    batches = list(chunks(refs, 100))
    for chunk, found in zip(batches, aws.map(describe, batches), strict=True):
        if found is None:
            for ref in chunk:
                out.setdefault(name_of(ref), Cluster(
                    address=ref, where=at(ref), source=ref, name=name_of(ref),
                    container_insights=UNKNOWN))
            continue
        for raw in found.get("clusters", []):
            if raw.get("status") == "INACTIVE":
                continue
            arn = raw["clusterArn"]
            cluster = Cluster(address=arn, where=at(arn), source=arn, name=raw["clusterName"])
            cluster.container_insights = next(
                (s.get("value") for s in raw.get("settings", [])
                 if s.get("name") == "containerInsights"), None)
            cluster.default_strategy = [s["capacityProvider"]
                                        for s in raw.get("defaultCapacityProviderStrategy", [])]
            providers[cluster.name] = list(raw.get("capacityProviders", []))
            out.setdefault(cluster.name, cluster)
    # A cluster asked for that does not exist or is inactive is missing; without a filter an
    # inactive cluster is simply not audited.
    missing = [ref for ref in refs if wanted and not any(
        ref in (c.name, c.address) for c in out.values())]
    return [out[name] for name in sorted(out)], providers, missing, listed


def _account_settings(aws: Aws) -> list[AccountSetting]:
    pages = aws.pages("ecs", "list_account_settings",
                      "the account's containerInsights default (ECS401, ECS402)",
                      name="containerInsights", effectiveSettings=True)
    address = "account setting containerInsights"
    if pages is None:
        return [AccountSetting(address=address, where=at(address), name="containerInsights",
                               value=UNKNOWN)]
    values = [s.get("value") for page in pages for s in page.get("settings", [])
              if s.get("name") == "containerInsights"]
    return [AccountSetting(address=address, where=at(address), name="containerInsights",
                           value=values[0])] if values else []


def _capacity_providers(aws: Aws, model: EcsModel, providers: dict[str, list[str]]
                        ) -> dict[str, str]:
    """Reads and attaches the capacity providers; returns their Auto Scaling group ARNs."""
    wanted = sorted({n for names in providers.values() for n in names} - _FARGATE_PROVIDERS)
    found: dict[str, CapacityProvider] = {}
    asg_arns: dict[str, str] = {}
    def describe(chunk: list[str]) -> list[dict] | None:
        return aws.token_pages("ecs", "describe_capacity_providers",
                               f"capacity providers {', '.join(chunk)} (ECS301 managed scaling)",
                               capacityProviders=chunk)

    batches = list(chunks(wanted, 100))
    for chunk, pages in zip(batches, aws.map(describe, batches), strict=True):
        if pages is None:
            for name in chunk:
                found[name] = CapacityProvider(address=name, where=at(name), name=name,
                                               managed_scaling_status=UNKNOWN)
            continue
        for raw in (p for page in pages for p in page.get("capacityProviders", [])):
            arn = raw.get("capacityProviderArn") or raw["name"]
            provider = raw.get("autoScalingGroupProvider") or {}
            cp = CapacityProvider(address=arn, where=at(arn), source=arn, name=raw["name"],
                                  uses_auto_scaling_group=bool(provider))
            managed = provider.get("managedScaling")
            cp.managed_scaling_status = managed.get("status", "ENABLED") if managed else None
            if provider.get("autoScalingGroupArn"):
                asg_arns[cp.name] = provider["autoScalingGroupArn"]
            found[cp.name] = cp
    model.capacity_providers = [found[n] for n in sorted(found)]
    for cluster in model.clusters:
        cluster.capacity_providers = [found[n] for n in providers.get(cluster.name, [])
                                      if n in found]
    return asg_arns


def _cluster_scaling(aws: Aws, model: EcsModel, asg_arns: dict[str, str]) -> None:
    """Reservation alarms, the EC2 Auto Scaling policies they trigger, and the groups."""
    alarms = live_related.reservation_alarms(aws, {c.name for c in model.clusters})
    model.alarms = [alarm for alarm, _ in alarms]
    actions = [a for alarm in model.alarms if isinstance(alarm.alarm_actions, list)
               for a in alarm.alarm_actions]
    policies = live_related.scaling_policies(aws, actions)
    for alarm in model.alarms:
        if isinstance(alarm.alarm_actions, list):
            alarm.policies = [policies[a] for a in alarm.alarm_actions if a in policies]
    model.autoscaling_policies = [policies[a] for a in sorted(policies)]

    names = {asg_name(arn) for arn in asg_arns.values()} | {asg_name(a) for a in policies}
    groups = live_related.auto_scaling_groups(aws, names)
    model.auto_scaling_groups = [groups[n] for n in sorted(groups)]
    for cp in model.capacity_providers:
        if cp.name in asg_arns:
            cp.auto_scaling_group = groups.get(asg_name(asg_arns[cp.name]))
    for arn, policy in policies.items():
        policy.auto_scaling_group = groups.get(asg_name(arn))
    by_name = {c.name: c for c in model.clusters}
    for alarm, cluster_name in alarms:
        for policy in alarm.policies:
            cluster = by_name.get(cluster_name)
            if cluster and policy.auto_scaling_group:
                cluster.auto_scaling_groups.append(policy.auto_scaling_group)
    for cluster in model.clusters:
        from_providers = [cp.auto_scaling_group for cp in cluster.capacity_providers
                          if cp.auto_scaling_group is not None]
        cluster.auto_scaling_groups = list({id(g): g for g in
                                            from_providers + cluster.auto_scaling_groups}.values())


# ------------------------------------------------------------------ services

def _services(aws: Aws, clusters: list[Cluster], wanted: list[str]
              ) -> tuple[list[LiveService], bool]:
    """The clusters' services (only `wanted` ones when given); whether every list was read."""
    def list_services(cluster: Cluster) -> list[dict] | None:
        return aws.pages("ecs", "list_services",
                         f"services of cluster {cluster.name} (every service check)",
                         cluster=cluster.address)

    listed_all = True
    batches: list[tuple[Cluster, list[str]]] = []
    for cluster, pages in zip(clusters, aws.map(list_services, clusters), strict=True):
        if pages is None:
            listed_all = False
            continue
        arns = sorted(a for page in pages for a in page.get("serviceArns", []))
        if wanted:
            arns = [a for a in arns if name_of(a) in wanted or a in wanted]
        batches += [(cluster, chunk) for chunk in chunks(arns, 10)]

    def describe(batch: tuple[Cluster, list[str]]) -> dict | None:
        cluster, chunk = batch
        return aws.call("ecs", "describe_services",
                        f"services {', '.join(name_of(a) for a in chunk)} of cluster "
                        f"{cluster.name} (every service check, stopped tasks)",
                        cluster=cluster.address, services=chunk, include=["TAGS"])

    out: list[LiveService] = []
    for (cluster, _), found in zip(batches, aws.map(describe, batches), strict=True):
        if found is None:
            listed_all = False
            continue
        for raw in found.get("services", []):
            out.append(LiveService(_service(raw, cluster), cluster.name,
                                   list(raw.get("events", [])), raw.get("taskDefinition")))
    out.sort(key=lambda s: (s.cluster, s.service.name))
    return out, listed_all


def _service(raw: dict[str, Any], cluster: Cluster) -> Service:
    arn = raw["serviceArn"]
    tags = {t.get("key"): t.get("value") for t in raw.get("tags", [])}
    svc = Service(address=arn, where=at(arn), source=arn, tags=tags, name=raw["serviceName"],
                  cluster=cluster, launch_type=raw.get("launchType"),
                  scheduling_strategy=raw.get("schedulingStrategy") or "REPLICA",
                  health_check_grace_period=raw.get("healthCheckGracePeriodSeconds"))
    strategy = [s["capacityProvider"] for s in raw.get("capacityProviderStrategy", [])]
    svc.capacity_provider_strategy = strategy or None
    for i, lb in enumerate(raw.get("loadBalancers", [])):
        tg_arn = lb.get("targetGroupArn")
        # A placeholder until the target groups are read; classic ELBs have none.
        tg = TargetGroup(address=tg_arn, where=at(tg_arn)) if tg_arn else None
        svc.load_balancers.append(LoadBalancerAttachment(
            tg, lb.get("containerName"), lb.get("containerPort"), f"load_balancer.{i}"))
    return svc


def _task_definitions(aws: Aws, arns: list[str]) -> dict[str, TaskDefinition]:
    def describe(arn: str) -> dict | None:
        return aws.call("ecs", "describe_task_definition",
                        f"task definition {name_of(arn)} (ECS1xx, ECS2xx, ECS4xx)",
                        taskDefinition=arn, include=["TAGS"])

    out = {}
    for arn, found in zip(arns, aws.map(describe, arns), strict=True):
        if found is None:
            out[arn] = TaskDefinition(address=arn, where=at(arn), source=arn,
                                      family=name_of(arn).split(":")[0], cpu=UNKNOWN,
                                      memory=UNKNOWN, requires_compatibilities=UNKNOWN,
                                      network_mode=UNKNOWN, containers=UNKNOWN)
            continue
        # The JSON source's mapper: describe_task_definition output is one of its inputs.
        td = task_definition_from_json(found, "describe", arn)
        td.address, td.where = arn, at(arn)
        for container in td.containers if isinstance(td.containers, list) else []:
            container.address, container.where = arn, at(arn)
        out[arn] = td
    return out
