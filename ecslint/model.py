"""The normalized ECS model every source builds and every rule reads, plus Finding."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping


class Unknown:
    """A value that cannot be resolved statically; rules stay silent on it.

    `refs` keeps the resource addresses the unresolved expression referred to, so that
    relations (service -> task definition, alarm -> policy) survive unknown ARNs.
    """

    __slots__ = ("refs",)

    def __init__(self, refs: frozenset[str] = frozenset()) -> None:
        self.refs = refs

    def __repr__(self) -> str:
        return f"Unknown({sorted(self.refs)})" if self.refs else "UNKNOWN"

    def __bool__(self) -> bool:
        raise TypeError("truth value of an unknown value; test with is_unknown() first")


UNKNOWN = Unknown()


def is_unknown(value: Any) -> bool:
    return isinstance(value, Unknown)


def known(*values: Any) -> bool:
    """True when none of the values is unknown (None, i.e. unset, counts as known)."""
    return not any(isinstance(v, Unknown) for v in values)


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "info": 1}[self.value]


@dataclass(frozen=True)
class Location:
    """A place in an input: a file (or an ARN in a live audit) and 1-based line/column."""

    file: str
    line: int | None = None
    column: int | None = None


@dataclass(frozen=True)
class InputProblem:
    """An input (a file, or a part of it) that could not be read, parsed or checked: the
    engine reports it as ECS001."""

    file: str
    message: str
    line: int | None = None
    column: int | None = None


@dataclass(frozen=True)
class Finding:
    """One reported problem. Immutable: the pipeline filters and formats, never edits."""

    code: str
    name: str
    severity: Severity
    message: str
    file: str
    line: int | None
    column: int | None
    resource: str | None = None
    container: str | None = None
    url: str | None = None

    def sort_key(self) -> tuple:
        return (self.file, self.line or 0, self.column or 0, self.code, self.resource or "",
                self.container or "", self.message)


# --------------------------------------------------------------------------------------
# Entities. Every entity has `address` (Terraform address with module path, task-definition
# family for JSON, or ARN for live), `where` (its header location) and `locs` (model field
# name -> Location of the value that set it, e.g. "health_check.timeout"). Values are
# Python values, None when unset, or Unknown.
# --------------------------------------------------------------------------------------


@dataclass(eq=False)
class Entity:
    address: str
    where: Location
    locs: dict[str, Location] = field(default_factory=dict, repr=False)
    tags: dict[str, Any] = field(default_factory=dict, repr=False)
    # The module directory (or input file) the entity was declared in: pre-commit reporting
    # and suppressions use where, this groups entities of one configuration.
    origin: str = ""

    def loc(self, path: str | None = None) -> Location:
        """Location for a field path, falling back to its parents, then the header."""
        while path:
            if path in self.locs:
                return self.locs[path]
            path = path.rpartition(".")[0]
        return self.where


@dataclass(eq=False)
class ContainerHealthCheck:
    command: Any = None
    interval: Any = None  # seconds; None = default 30
    timeout: Any = None  # seconds; None = default 5
    retries: Any = None  # None = default 3
    start_period: Any = None  # None = off


@dataclass(eq=False)
class Container(Entity):
    """One container definition (ECS API field names are in the comments)."""

    name: Any = None
    image: Any = None
    essential: Any = True  # `essential`, default true
    cpu: Any = None  # `cpu` units
    memory: Any = None  # `memory` MiB (hard)
    memory_reservation: Any = None  # `memoryReservation` MiB (soft)
    health_check: ContainerHealthCheck | None | Unknown = None
    command: Any = None  # list[str]
    entry_point: Any = None  # list[str]
    environment: Any = None  # dict name -> value
    firelens: bool = False  # has firelensConfiguration
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)


@dataclass(eq=False)
class TaskDefinition(Entity):
    family: Any = None
    cpu: Any = None  # units (int), "1 vCPU" forms converted; None = unset
    memory: Any = None  # MiB (int), "2 GB" forms converted
    requires_compatibilities: Any = None  # list[str] | None
    network_mode: Any = None
    containers: list[Container] | Unknown = field(default_factory=list)

    @property
    def fargate(self) -> bool | Unknown:
        rc = self.requires_compatibilities
        if is_unknown(rc):
            return UNKNOWN
        return bool(rc) and "FARGATE" in rc

    @property
    def ec2(self) -> bool | Unknown:
        rc = self.requires_compatibilities
        if is_unknown(rc):
            return UNKNOWN
        return not rc or "EC2" in rc or "EXTERNAL" in rc

    def container(self, name: Any) -> Container | None:
        if is_unknown(self.containers) or is_unknown(name):
            return None
        return next((c for c in self.containers if c.name == name), None)


@dataclass(eq=False)
class TargetGroupHealthCheck:
    enabled: Any = True
    interval: Any = None
    timeout: Any = None
    healthy_threshold: Any = None
    unhealthy_threshold: Any = None
    protocol: Any = None


@dataclass(eq=False)
class TargetGroup(Entity):
    name: Any = None
    protocol: Any = None  # HTTP | HTTPS | TCP | TLS | UDP | TCP_UDP | GENEVE
    target_type: Any = None
    # None: no health_check block (AWS defaults); a block: its values (provider defaults).
    health_check: TargetGroupHealthCheck | None | Unknown = None
    # Set by the live source where AWS says so; static sources leave None.
    load_balancer_type: Any = None


@dataclass(eq=False)
class LoadBalancerAttachment:
    target_group: TargetGroup | None
    container_name: Any
    container_port: Any
    path: str  # locs key of this attachment, e.g. "load_balancer.0"


@dataclass(eq=False)
class AutoScalingGroup(Entity):
    name: Any = None
    min_size: Any = None
    max_size: Any = None
    suspended_processes: Any = None  # list[str] | None


@dataclass(eq=False)
class AutoScalingPolicy(Entity):
    """aws_autoscaling_policy (EC2 Auto Scaling)."""

    enabled: Any = True
    auto_scaling_group: AutoScalingGroup | None = None


@dataclass(eq=False)
class MetricAlarm(Entity):
    namespace: Any = None
    metric_name: Any = None
    actions_enabled: Any = True
    alarm_actions: Any = None  # list | None
    policies: list[AutoScalingPolicy] = field(default_factory=list)


@dataclass(eq=False)
class CapacityProvider(Entity):
    name: Any = None
    auto_scaling_group: AutoScalingGroup | None = None
    # "ENABLED" | "DISABLED" | None (no managed_scaling block) | Unknown
    managed_scaling_status: Any = None
    # False for providers without an Auto Scaling group (ECS Managed Instances scale
    # themselves); Unknown when that cannot be told.
    uses_auto_scaling_group: Any = True


@dataclass(eq=False)
class Cluster(Entity):
    name: Any = None
    # containerInsights setting value: "enabled" | "enhanced" | "disabled" | None | Unknown
    container_insights: Any = None
    capacity_providers: list[CapacityProvider] = field(default_factory=list)
    default_strategy: list[str] = field(default_factory=list)  # capacity provider names
    # EC2 Auto Scaling groups whose instances join the cluster (via capacity providers,
    # or found by the live source).
    auto_scaling_groups: list[AutoScalingGroup] = field(default_factory=list)


@dataclass(eq=False)
class AppScalingPolicy(Entity):
    policy_type: Any = None


@dataclass(eq=False)
class ScalableTarget(Entity):
    resource_id: Any = None
    service_namespace: Any = None
    scalable_dimension: Any = None
    min_capacity: Any = None
    max_capacity: Any = None
    dynamic_scaling_out_suspended: Any = False
    policies: list[AppScalingPolicy] = field(default_factory=list)


@dataclass(eq=False)
class Service(Entity):
    name: Any = None
    cluster: Cluster | None = None
    task_definition: TaskDefinition | None = None
    launch_type: Any = None
    capacity_provider_strategy: Any = None  # list[str] of provider names | None
    scheduling_strategy: Any = "REPLICA"
    load_balancers: list[LoadBalancerAttachment] = field(default_factory=list)
    health_check_grace_period: Any = None
    scalable_target: ScalableTarget | None = None
    # Live audit only: maximum CPUUtilization / MemoryUtilization (percent) in the window.
    max_cpu_utilization: Any = None
    max_memory_utilization: Any = None


@dataclass(eq=False)
class AccountSetting(Entity):
    name: Any = None
    value: Any = None


@dataclass
class EcsModel:
    """Everything one configuration (a module tree, a plan, a JSON file, an account) holds."""

    task_definitions: list[TaskDefinition] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)
    clusters: list[Cluster] = field(default_factory=list)
    target_groups: list[TargetGroup] = field(default_factory=list)
    capacity_providers: list[CapacityProvider] = field(default_factory=list)
    auto_scaling_groups: list[AutoScalingGroup] = field(default_factory=list)
    autoscaling_policies: list[AutoScalingPolicy] = field(default_factory=list)
    alarms: list[MetricAlarm] = field(default_factory=list)
    scalable_targets: list[ScalableTarget] = field(default_factory=list)
    account_settings: list[AccountSetting] = field(default_factory=list)
    # True for a live account: the account setting is fetched, so an absent setting is known.
    live: bool = False

    def extend(self, other: EcsModel) -> None:
        for name in self.__dataclass_fields__:
            if name != "live":
                getattr(self, name).extend(getattr(other, name))

    def entities(self) -> Iterator[Entity]:
        for name in self.__dataclass_fields__:
            if name != "live":
                yield from getattr(self, name)
