"""What a rule is: data plus a generator of problems over the normalized model."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

from ecslint import __version__
from ecslint.model import Container, EcsModel, Entity, Severity

DEFAULT_OPTIONS: dict[str, Any] = {
    "health_check_cpu_ms": 50.0,
    "peak_utilization": 0.9,
    "unassigned_ratio": 0.5,
    "stats_sidecar_images": [],
    "stats_sidecar_containers": [],
    "cpu_saturation": 90.0,
    "memory_near_limit": 90.0,
    "container_memory_near_limit": 90.0,
    "container_cpu_saturation": 90.0,
}

# Options that are unset unless configured (no default value).
UNSET_OPTIONS = ("account_container_insights",)

# Resource tags that override options for the tagged service or task definition.
TAG_OPTIONS = {
    "ecslint:health-check-cpu-ms": "health_check_cpu_ms",
    "ecslint:peak-utilization": "peak_utilization",
}


@dataclass(frozen=True)
class Problem:
    """What a rule yields: the engine turns the origin of `entity`'s field `path` into the
    finding's location, and the origins of `related` fields into its related locations."""

    code: str
    message: str
    entity: Entity
    path: str | None = None
    container: Container | None = None
    # Other decisive values: (entity, field path, label such as "task memory 16384").
    related: tuple[tuple[Entity, str, str], ...] = ()


@dataclass(frozen=True)
class Options:
    """Rule options: global values, overridden per service name / task family, then tags."""

    values: Mapping[str, Any] = field(default_factory=lambda: dict(DEFAULT_OPTIONS))
    per_service: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def get(self, key: str, *names: Any, tags: Mapping[str, Any] | None = None) -> Any:
        """Option `key` for an entity known by any of `names` (service name, family)."""
        value = self.values.get(key, DEFAULT_OPTIONS.get(key))
        for name in names:
            if isinstance(name, str) and name in self.per_service:
                value = self.per_service[name].get(key, value)
        for tag, option in TAG_OPTIONS.items():
            if option == key and tags and isinstance(tags.get(tag), (str, int, float)):
                try:
                    value = float(tags[tag])
                except ValueError:
                    pass
        return value


CheckFn = Callable[[EcsModel, Options], Iterable[Problem]]


@dataclass(frozen=True)
class Rule:
    """One rule of the catalog: its code, name, default severity, summary and check."""

    code: str
    name: str
    severity: Severity
    summary: str
    check: CheckFn | None = None  # None: reported by the engine itself (ECS001, ECS002)
    live_only: bool = False

    @property
    def url(self) -> str:
        """The doc of this version (the tag), not of a branch that moves on; offline, the
        same text is `ecslint rule CODE`."""
        return f"https://github.com/ecslint/ecslint/blob/v{__version__}/rules/{self.code}.md"
