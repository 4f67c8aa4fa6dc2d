"""The normalized ECS model every source builds and every rule reads, plus Finding."""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from typing import Any, Iterator

from ecslint.unknown import UNKNOWN, Unknown, contains3, is_unknown

__all__ = ["UNKNOWN", "Unknown", "is_unknown"]  # re-exported: the model's values use them


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
    engine reports it as ECS001, or as `code` (ECS003: a module that was not loaded)."""

    file: str
    message: str
    line: int | None = None
    column: int | None = None
    code: str = "ECS001"
    resource: str | None = None


@dataclass(frozen=True)
class Related:
    """Another place that decided a finding: where a decisive value was written or passed
    on the way (a variable default, a tfvars line, a module argument, a local)."""

    file: str
    line: int | None
    column: int | None
    message: str  # e.g. "task memory 16384 set here"


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
    related: tuple[Related, ...] = ()

    def sort_key(self) -> tuple:
        return (self.file, self.line or 0, self.column or 0, self.code, self.resource or "",
                self.container or "", self.message)


@dataclass(frozen=True)
class Step:
    """A place a value passed through on its way to a model field."""

    loc: Location
    note: str  # e.g. "passed as var.task_memory"


@dataclass(frozen=True)
class Origin:
    """Where a model field's value came from: the place it was written, and the places it
    passed through on the way (outermost first; provenance fills them)."""

    loc: Location
    via: tuple[Step, ...] = ()


# --------------------------------------------------------------------------------------
# Entities. Every entity has `address` (Terraform address with module path, task-definition
# family for JSON, or ARN for live), `where` (its header location) and `locs` (model field
# path -> Origin of the value that set it, e.g. "health_check.timeout"). Values are typed
# as ecslint.unknown describes: None when unset, a known value, or Unknown.
# --------------------------------------------------------------------------------------


@dataclass(eq=False)
class Entity:
    """What every model object has: its address, header location and field origins."""

    address: str
    where: Location
    locs: dict[str, Origin] = field(default_factory=dict, repr=False)
    tags: dict[str, Any] = field(default_factory=dict, repr=False)
    # The module directory (or input file) the entity was declared in.
    source: str = ""
    # The `module` blocks that instantiated it, from the root module's call inward.
    calls: tuple[Location, ...] = ()

    def record(self, path: str, where: Location | Origin) -> None:
        """Record where the value of the model field `path` came from: the one way
        locations enter the model, so they are keyed by model fields, never by the
        source's spelling."""
        if not field_path_ok(type(self), path):
            raise ValueError(f"{type(self).__name__} has no model field {path!r}")
        self.locs[path] = where if isinstance(where, Origin) else Origin(where)

    def origin(self, path: str | None) -> Origin | None:
        """The recorded origin of a field path, or of its nearest recorded parent."""
        while path:
            if path in self.locs:
                return self.locs[path]
            path = path.rpartition(".")[0]
        return None

    def loc(self, path: str | None = None) -> Location:
        """Location for a field path: its origin, else the entity's header (an unset field:
        the finding is about the resource as a whole)."""
        found = self.origin(path)
        return found.loc if found is not None else self.where


# Field types, in the comments below: num = int | float (a number), every field may also be
# None (unset) or Unknown unless it says otherwise.

@dataclass(eq=False)
class ContainerHealthCheck:
    """A container's `healthCheck`."""

    command: Any = None  # list[str]
    interval: Any = None  # num seconds; None = default 30
    timeout: Any = None  # num seconds; None = default 5
    retries: Any = None  # num; None = default 3
    start_period: Any = None  # num seconds; None = off


@dataclass(eq=False)
class Container(Entity):
    """One container definition (ECS API field names are in the comments)."""

    name: Any = None  # str `name`
    image: Any = None  # str `image`
    essential: Any = True  # bool `essential`, default true (never None)
    cpu: Any = None  # num `cpu` units
    memory: Any = None  # num `memory` MiB (hard)
    memory_reservation: Any = None  # num `memoryReservation` MiB (soft)
    health_check: ContainerHealthCheck | None | Unknown = None  # `healthCheck`
    command: Any = None  # list[str] `command`
    entry_point: Any = None  # list[str] `entryPoint`
    environment: Any = None  # dict name -> value, from `environment`
    firelens: bool = False  # has `firelensConfiguration` (never None or Unknown)


@dataclass(eq=False)
class TaskDefinition(Entity):
    """A task definition and its containers."""

    family: Any = None  # str
    cpu: Any = None  # num CPU units ("1 vCPU" forms converted)
    memory: Any = None  # num MiB ("2 GB" forms converted)
    requires_compatibilities: Any = None  # list[str]
    network_mode: Any = None  # str
    containers: list[Container] | Unknown = field(default_factory=list)

    @property
    def fargate(self) -> bool | Unknown:
        return contains3(self.requires_compatibilities, "FARGATE")

    @property
    def ec2(self) -> bool | Unknown:
        rc = self.requires_compatibilities
        if is_unknown(rc):
            return UNKNOWN
        if not rc:
            return True  # the API default
        if contains3(rc, "EC2") is True or contains3(rc, "EXTERNAL") is True:
            return True
        return UNKNOWN if any(is_unknown(x) for x in rc) else False

    def container(self, name: Any) -> Container | None:
        if is_unknown(self.containers) or is_unknown(name):
            return None
        return next((c for c in self.containers if c.name == name), None)


@dataclass(eq=False)
class TargetGroupHealthCheck:
    """A target group's health check."""

    enabled: Any = True
    interval: Any = None
    timeout: Any = None
    healthy_threshold: Any = None
    unhealthy_threshold: Any = None
    protocol: Any = None


@dataclass(eq=False)
class TargetGroup(Entity):
    """An ELB target group."""

    name: Any = None
    protocol: Any = None  # HTTP | HTTPS | TCP | TLS | UDP | TCP_UDP | GENEVE
    target_type: Any = None
    # None: no health_check block (AWS defaults); a block: its values (provider defaults).
    health_check: TargetGroupHealthCheck | None | Unknown = None
    # Set by the live source where AWS says so; static sources leave None.
    load_balancer_type: Any = None


@dataclass(eq=False)
class LoadBalancerAttachment:
    """A service's `load_balancer`: the target group and the container it serves."""

    target_group: TargetGroup | None
    container_name: Any
    container_port: Any
    path: str  # locs key of this attachment, e.g. "load_balancer.0"


@dataclass(eq=False)
class AutoScalingGroup(Entity):
    """An EC2 Auto Scaling group."""

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
    """A CloudWatch metric alarm and the scaling policies it triggers."""

    namespace: Any = None
    metric_name: Any = None
    actions_enabled: Any = True
    alarm_actions: Any = None  # list | None
    policies: list[AutoScalingPolicy] = field(default_factory=list)


@dataclass(eq=False)
class CapacityProvider(Entity):
    """An ECS capacity provider."""

    name: Any = None
    auto_scaling_group: AutoScalingGroup | None = None
    # "ENABLED" | "DISABLED" | None (no managed_scaling block) | Unknown
    managed_scaling_status: Any = None
    # False for providers without an Auto Scaling group (ECS Managed Instances scale
    # themselves); Unknown when that cannot be told.
    uses_auto_scaling_group: Any = True


@dataclass(eq=False)
class Cluster(Entity):
    """An ECS cluster with its capacity providers and Auto Scaling groups."""

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
    """An Application Auto Scaling policy."""

    policy_type: Any = None


@dataclass(eq=False)
class ScalableTarget(Entity):
    """An Application Auto Scaling target (a service's desired count)."""

    resource_id: Any = None
    service_namespace: Any = None
    scalable_dimension: Any = None
    min_capacity: Any = None
    max_capacity: Any = None
    dynamic_scaling_out_suspended: Any = False
    policies: list[AppScalingPolicy] = field(default_factory=list)
    # The cluster and service its resource_id "service/<cluster>/<service>" names: str, or
    # Unknown for a part that is not known statically; None when it names no service.
    cluster_name: Any = None
    service_name: Any = None


@dataclass(eq=False)
class Service(Entity):
    """An ECS service and what it runs on and behind."""

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
    """An ECS account setting default (containerInsights)."""

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

    def entities(self) -> Iterator[Entity]:
        for name in self.__dataclass_fields__:
            if name != "live":
                yield from getattr(self, name)


# Nested model objects whose fields are part of an entity's field paths.
_NESTED: dict[tuple[type, str], type] = {
    (Container, "health_check"): ContainerHealthCheck,
    (TargetGroup, "health_check"): TargetGroupHealthCheck,
}
_LISTS: dict[tuple[type, str], type] = {
    (Service, "load_balancers"): LoadBalancerAttachment,
}


def field_path_ok(cls: type, path: str) -> bool:
    """Whether `path` names a model field of entity class `cls`: "memory",
    "health_check.timeout", "load_balancers.0", "load_balancers.0.container_name"."""
    head, _, rest = path.partition(".")
    names = {f.name for f in dataclasses.fields(cls)}
    if head not in names:
        return False
    if not rest:
        return True
    if (cls, head) in _NESTED:
        return rest in {f.name for f in dataclasses.fields(_NESTED[cls, head])}
    if (cls, head) in _LISTS:
        index, _, sub = rest.partition(".")
        return index.isdigit() and (not sub or sub in {
            f.name for f in dataclasses.fields(_LISTS[cls, head])})
    return False
