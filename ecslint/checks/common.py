"""Helpers the rule modules share: containers, related services and rule options.

Values are already typed (ecslint.unknown): rules test them with `is_number`, `is_unknown`
and the three-valued helpers, and never convert.
"""

from __future__ import annotations

from typing import Any, Iterator

from ecslint.checks.base import Options
from ecslint.model import Container, EcsModel, Service, TaskDefinition, is_unknown
from ecslint.unknown import any3, is_number  # noqa: F401  (the rules' vocabulary)


def containers(td: TaskDefinition) -> list[Container] | None:
    """The task's containers, or None when the list itself is unknown."""
    return None if is_unknown(td.containers) else td.containers


def services_of(model: EcsModel, td: TaskDefinition) -> Iterator[Service]:
    return (s for s in model.services if s.task_definition is td)


def _tags(entity: Any) -> dict[str, Any]:
    tags = getattr(entity, "tags", None)
    return tags if isinstance(tags, dict) else {}


def service_option(options: Options, key: str, service: Service | None,
                   td: TaskDefinition | None) -> Any:
    """Option `key` for a service and its task definition (the task definition wins)."""
    names = []
    if service is not None:
        names.append(service.name)
    if td is not None:
        names.append(td.family)
    return options.get(key, *names, tags={**_tags(service), **_tags(td)})


def task_option(model: EcsModel, options: Options, key: str, td: TaskDefinition) -> Any:
    """Option `key` for a task definition, honouring overrides for the services that run it."""
    names = [s.name for s in services_of(model, td)]
    return options.get(key, *names, td.family, tags=_tags(td))


def quote(name: Any) -> str:
    """A name for a message: 'web', or a placeholder when the name is not known."""
    return f"'{name}'" if isinstance(name, str) else "(unnamed)"
