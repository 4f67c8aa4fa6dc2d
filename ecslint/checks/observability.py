"""ECS4xx: Container Insights and the task-metadata stats sidecar."""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any, Iterator

from ecslint.checks.base import Options, Problem, Rule
from ecslint.checks.common import any3, containers, quote, task_option
from ecslint.model import UNKNOWN, Container, EcsModel, Severity, is_unknown
from ecslint.unknown import UNKNOWN_MARK, known_text

_CLUSTER_ON = frozenset({"enabled", "enhanced"})
_ACCOUNT_ON = frozenset({"enabled", "enhanced", "on"})
METADATA_VARIABLE = "ECS_CONTAINER_METADATA_URI_V4"

# Known collector repositories, matched on the repository path without registry or tag.
_EXPORTER = ("prometheuscommunity/ecs-exporter",)
_ADOT = ("aws-observability/aws-otel-collector", "amazon/aws-otel-collector")
_DATADOG = ("datadog/agent", "datadoghq/agent")
_NEW_RELIC = ("newrelic/nri-ecs",)
# The ADOT config without the awsecscontainermetrics receiver.
_ADOT_NO_TASK_METRICS = "ecs-default-config.yaml"


def _account_default(model: EcsModel, options: Options) -> Any:
    """The containerInsights account default here: a lowercase value, None or UNKNOWN. An
    `aws_ecs_account_setting_default` of this configuration (or, live, the account's own
    setting) wins over the option `account_container_insights`, which declares a default
    made outside the checked code."""
    values = [UNKNOWN if is_unknown(s.name) else s.value
              for s in model.account_settings
              if s.name == "containerInsights" or is_unknown(s.name)]
    declared = options.get("account_container_insights")
    if not values and not model.live and isinstance(declared, str):
        values = [declared]
    on = [v for v in values if v in _ACCOUNT_ON]
    if on:
        return on[0]
    if any(is_unknown(v) for v in values):
        return UNKNOWN
    return values[0] if values else None


def container_insights_disabled(model: EcsModel, options: Options) -> Iterator[Problem]:
    account = _account_default(model, options)
    for cluster in model.clusters:
        value = cluster.container_insights
        if is_unknown(value) or value in _CLUSTER_ON:
            continue
        if value is None:
            if is_unknown(account) or account in _ACCOUNT_ON:
                continue
            state = "has no containerInsights setting and no account default enables it"
        else:
            state = f"sets containerInsights to {value}"
        yield Problem(
            "ECS401",
            f"cluster {quote(cluster.name)} {state}: no task and service CPU or memory "
            "metrics, so OOM kills and CPU starvation cannot be traced",
            cluster, "container_insights")


def container_insights_not_enhanced(model: EcsModel, options: Options) -> Iterator[Problem]:
    account = _account_default(model, options)
    for cluster in model.clusters:
        value = cluster.container_insights
        source = ""
        if value is None and not is_unknown(account):
            value, source = account, " by the account default"
        if value in ("enabled", "on"):
            yield Problem(
                "ECS402",
                f"Container Insights is enabled{source} on cluster {quote(cluster.name)} but not "
                "enhanced: there are no per-container metrics, so the container that runs out "
                "of memory or CPU cannot be singled out",
                cluster, "container_insights")


def repository(image: str) -> str:
    """The image without tag or digest: quay.io/org/name:1.0@sha256:... -> quay.io/org/name."""
    image = image.split("@", 1)[0]
    colon = image.rfind(":")
    return image[:colon] if colon > image.rfind("/") else image


def _is(repo: str, names: tuple[str, ...]) -> bool:
    return any(repo == name or repo.endswith("/" + name) for name in names)


def _strings(value: Any) -> tuple[list[str], bool]:
    """The strings in a command/entryPoint/environment value, and whether any is unknown."""
    if value is None:
        return [], False
    if is_unknown(value):
        return [], True
    if isinstance(value, dict):
        items = [x for pair in value.items() for x in pair]
    else:
        items = list(value) if isinstance(value, (list, tuple)) else [value]
    return [x for x in items if isinstance(x, str)], any(is_unknown(x) for x in items)


def _references_stats(container: Container) -> Any:
    """Whether the container's own command, entryPoint or environment reads TME stats."""
    texts, unknown = [], False
    for value in (container.command, container.entry_point, container.environment):
        strings, missing = _strings(value)
        texts += strings
        unknown = unknown or missing
    text = "\n".join(texts)
    if METADATA_VARIABLE in text and "stats" in text:
        return True
    return UNKNOWN if unknown else False


def _adot_collects(container: Container) -> Any:
    strings, unknown = _strings(container.command)
    if any(_ADOT_NO_TASK_METRICS in s for s in strings):
        return False
    return UNKNOWN if unknown else True


def _datadog_collects(container: Container) -> Any:
    environment = container.environment
    if is_unknown(environment):
        return UNKNOWN
    value = environment.get("ECS_FARGATE") if isinstance(environment, dict) else None
    if is_unknown(value):
        return UNKNOWN
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _names(repo: str, names: tuple[str, ...]) -> bool:
    """The repository is one of `names`. A repository with unknown parts matches on its
    known tail, when that tail holds whole path segments (`<unknown>/aws-otel-collector`)."""
    if UNKNOWN_MARK not in repo:
        return _is(repo, names)
    tail = repo.rsplit(UNKNOWN_MARK, 1)[1]
    return tail.startswith("/") and any(("/" + name).endswith(tail) for name in names)


def _image_collects(container: Container, globs: list[str]) -> Any:
    """Whether the image is a collector's. A wholly unknown image (an ECR repository URL)
    is no evidence of one: False, and the rule says so."""
    image = known_text(container.image)
    if image is None:
        return False
    # fnmatch's * matches the unknown parts; a literal part of a glob never does.
    pattern_text = image.replace(UNKNOWN_MARK, "\0")
    if any(fnmatchcase(pattern_text, g) or fnmatchcase(repository(pattern_text), g)
           for g in globs):
        return True
    repo = repository(image.lower())
    if _names(repo, _EXPORTER) or _names(repo, _NEW_RELIC):
        return True
    if _names(repo, _ADOT):
        return _adot_collects(container)
    if _names(repo, _DATADOG):
        return _datadog_collects(container)
    return False


def collects_stats(container: Container, sidecars: Sidecars) -> Any:
    """True if the container collects task-metadata stats; may be UNKNOWN."""
    # FireLens routes logs only; it never counts as a metrics collector.
    if container.firelens is True:
        return False
    if isinstance(container.name, str) and any(fnmatchcase(container.name, g)
                                               for g in sidecars.containers):
        return True
    return any3((_image_collects(container, sidecars.images), _references_stats(container)))


@dataclass(frozen=True)
class Sidecars:
    """The user's own collectors: image globs and container-name globs."""

    images: list[str]
    containers: list[str]


def _globs(model: EcsModel, options: Options, td: Any, key: str) -> list[str]:
    value = task_option(model, options, key, td)
    if isinstance(value, str):
        return [value]
    return [g for g in value or () if isinstance(g, str)]


def _sidecars(model: EcsModel, options: Options, td: Any) -> Sidecars:
    return Sidecars(_globs(model, options, td, "stats_sidecar_images"),
                    _globs(model, options, td, "stats_sidecar_containers"))


def _unknown_images(cs: list[Container]) -> str:
    """The message's note on containers whose image is not known statically."""
    names = [quote(c.name) for c in cs if known_text(c.image) is None]
    if not names:
        return ""
    which = ", ".join(names)
    noun = "container" if len(names) == 1 else "containers"
    return (f"; the image of {noun} {which} is not known statically: if it is your own "
            "collector, name it in option stats_sidecar_images (image globs) or "
            "stats_sidecar_containers (container-name globs)")


def metrics_sidecar_missing(model: EcsModel, options: Options) -> Iterator[Problem]:
    for td in model.task_definitions:
        cs = containers(td)
        if not cs:
            continue
        sidecars = _sidecars(model, options, td)
        if any3(collects_stats(c, sidecars) for c in cs) is False:
            yield Problem(
                "ECS403",
                f"no container collects task-metadata stats (${{{METADATA_VARIABLE}}}"
                "/task/stats): per-container memory peaks and CPU throttling go unrecorded, "
                f"so an OOM kill or CPU starvation cannot be diagnosed{_unknown_images(cs)}",
                td, "containers")


def metrics_sidecar_essential(model: EcsModel, options: Options) -> Iterator[Problem]:
    for td in model.task_definitions:
        globs = _sidecars(model, options, td)
        for c in containers(td) or ():
            if collects_stats(c, globs) is True and c.essential is True:
                yield Problem(
                    "ECS404",
                    f"stats collector container {quote(c.name)} is essential: if it crashes, ECS "
                    "stops the application task with it",
                    c, "essential", c)


ECS401 = Rule("ECS401", "container-insights-disabled", Severity.WARNING,
              "A cluster runs without Container Insights.", container_insights_disabled)
ECS402 = Rule("ECS402", "container-insights-not-enhanced", Severity.INFO,
              "Container Insights is enabled but not enhanced, so there are no per-container "
              "metrics.", container_insights_not_enhanced)
ECS403 = Rule("ECS403", "metrics-sidecar-missing", Severity.WARNING,
              "A task definition has no container that collects task-metadata stats.",
              metrics_sidecar_missing)
ECS404 = Rule("ECS404", "metrics-sidecar-essential", Severity.WARNING,
              "The stats collector container is essential, so its crash stops the "
              "application task.", metrics_sidecar_essential)
