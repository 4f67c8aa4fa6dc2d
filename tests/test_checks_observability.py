"""ECS401-ECS404: Container Insights and the task-metadata stats sidecar."""

from __future__ import annotations

import pytest

from ecslint.checks.observability import ECS401, ECS402, ECS403, ECS404, repository
from ecslint.model import UNKNOWN, AccountSetting, Cluster
from ecslint.unknown import UNKNOWN_MARK, PartlyKnown
from modelkit import container, entity, model, options, run, service, summary, task

CLUSTER = "aws_ecs_cluster.main"
APP = container("app", image="123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1.4")


def _lower(value):
    """Setting values as the sources normalise them."""
    return value.lower() if isinstance(value, str) else value


def cluster(insights=None):
    return entity(Cluster, CLUSTER, name="main", container_insights=_lower(insights))


def account(value, name="containerInsights"):
    return entity(AccountSetting, "aws_ecs_account_setting_default.ci", name=name,
                  value=_lower(value))


# ECS401 container-insights-disabled -----------------------------------------------------

@pytest.mark.parametrize("insights, text", [
    (None, "cluster 'main' has no containerInsights setting and no account default enables it"),
    ("disabled", "cluster 'main' sets containerInsights to disabled"),
])
def test_ecs401_fires(insights, text):
    problems = run(ECS401, model(cluster(insights)))
    assert summary(problems) == [("ECS401", CLUSTER, "container_insights")]
    assert problems[0].message.startswith(text)


@pytest.mark.parametrize("insights", ["enabled", "enhanced", "Enhanced", UNKNOWN])
def test_ecs401_silent(insights):
    assert run(ECS401, model(cluster(insights))) == []


def test_setting_values_are_read_case_insensitively_from_terraform(tmp_path):
    from helpers import codes, lint, write

    write(tmp_path, {"main.tf": '''
        resource "aws_ecs_cluster" "main" {
          name = "main"
          setting {
            name  = "containerInsights"
            value = "Enhanced"
          }
        }
    '''})
    assert [c for c in codes(lint([tmp_path])) if c.startswith("ECS40")] == []


@pytest.mark.parametrize("value", ["enabled", "enhanced", "on"])
def test_ecs401_account_default_covers_clusters_without_a_setting(value):
    assert run(ECS401, model(cluster(), account(value))) == []
    # Only an explicit cluster value of disabled still fires.
    assert len(run(ECS401, model(cluster("disabled"), account(value)))) == 1


@pytest.mark.parametrize("setting", [
    account("disabled"), account("off"), account("enabled", "awsvpcTrunking")])
def test_ecs401_account_default_that_does_not_enable(setting):
    assert len(run(ECS401, model(cluster(), setting))) == 1
    assert len(run(ECS401, model(cluster(), setting, live=True))) == 1


@pytest.mark.parametrize("setting", [account(UNKNOWN), account("enabled", name=UNKNOWN)])
def test_ecs401_unknown_account_default_is_silent(setting):
    assert run(ECS401, model(cluster(), setting)) == []


# ECS402 container-insights-not-enhanced -------------------------------------------------

def test_ecs402_fires_when_enabled_not_enhanced():
    problems = run(ECS402, model(cluster("enabled")))
    assert summary(problems) == [("ECS402", CLUSTER, "container_insights")]
    assert problems[0].message.startswith(
        "Container Insights is enabled on cluster 'main' but not enhanced")


@pytest.mark.parametrize("value", ["enabled", "on"])
def test_ecs402_enabled_by_account_default(value):
    problems = run(ECS402, model(cluster(), account(value)))
    assert "enabled by the account default on cluster 'main'" in problems[0].message


@pytest.mark.parametrize("entities", [
    (cluster("enhanced"),),
    (cluster("disabled"), account("enabled")),
    (cluster("enhanced"), account("enabled")),
    (cluster(), account("enhanced")),
    (cluster(),),
    (cluster(UNKNOWN),),
    (cluster(), account(UNKNOWN)),
])
def test_ecs402_silent(entities):
    assert run(ECS402, model(*entities)) == []


# ECS403 metrics-sidecar-missing ---------------------------------------------------------

def test_repository_drops_tag_and_digest():
    assert repository("quay.io/prometheuscommunity/ecs-exporter:v0.4.0") == \
        "quay.io/prometheuscommunity/ecs-exporter"
    assert repository("localhost:5000/team/agent@sha256:abc") == "localhost:5000/team/agent"
    assert repository("localhost:5000/team/agent") == "localhost:5000/team/agent"


def test_ecs403_fires_without_collector():
    problems = run(ECS403, model(task(APP, family="api")))
    assert summary(problems) == [
        ("ECS403", "aws_ecs_task_definition.api", "containers")]
    assert "(${ECS_CONTAINER_METADATA_URI_V4}/task/stats)" in problems[0].message


TASK_METRICS = ["--config=/etc/ecs/container-insights/otel-task-metrics-config.yaml"]


@pytest.mark.parametrize("sidecar", [
    container("exporter", image="quay.io/prometheuscommunity/ecs-exporter:v0.4.0"),
    container("exporter", image="prometheuscommunity/ecs-exporter"),
    container("adot", image="public.ecr.aws/aws-observability/aws-otel-collector:v0.40.0"
                            "@sha256:0123", command=TASK_METRICS),
    container("adot", image="amazon/aws-otel-collector"),
    container("dd", image="public.ecr.aws/datadog/agent:7", environment={"ECS_FARGATE": "true"}),
    container("dd", image="gcr.io/datadoghq/agent:latest", environment={"ECS_FARGATE": True}),
    container("nr", image="newrelic/nri-ecs:1.12.2"),
    container("probe", image="alpine:3", command=[
        "sh", "-c", "while true; do wget -qO- ${ECS_CONTAINER_METADATA_URI_V4}/task/stats; done"]),
    container("probe", image="python:3.12", entry_point=["python", "/stats.py"],
              environment={"METADATA": "$ECS_CONTAINER_METADATA_URI_V4"}),
])
def test_ecs403_known_collectors_silence_it(sidecar):
    assert run(ECS403, model(task(APP, sidecar))) == []


@pytest.mark.parametrize("sidecar", [
    container("adot", image="public.ecr.aws/aws-observability/aws-otel-collector:latest",
              command=["--config=/etc/ecs/ecs-default-config.yaml"]),
    container("dd", image="datadog/agent:7"),
    container("dd", image="datadog/agent:7", environment={"ECS_FARGATE": "false"}),
    container("nr", image="newrelic/infrastructure:latest"),
    container("fake", image="evilprometheuscommunity/ecs-exporter:1"),
    container("cw", image="public.ecr.aws/cloudwatch-agent/cloudwatch-agent:latest"),
    container("log_router", image="public.ecr.aws/aws-observability/aws-for-fluent-bit:stable",
              firelens=True),
    container("probe", image="alpine:3", environment={"URI": "${ECS_CONTAINER_METADATA_URI_V4}"}),
])
def test_ecs403_not_collectors(sidecar):
    assert len(run(ECS403, model(task(APP, sidecar)))) == 1


def test_ecs403_stats_sidecar_images_option():
    sidecar = container("stats", image="registry.acme.io/platform/stats-agent:2.1")
    td = task(APP, sidecar, family="api")
    assert len(run(ECS403, model(td))) == 1
    assert run(ECS403, model(td), options(stats_sidecar_images=["*/platform/stats-*"])) == []
    # A glob without a tag matches the image without its tag.
    exact = options(stats_sidecar_images=["registry.acme.io/platform/stats-agent"])
    assert run(ECS403, model(td), exact) == []
    per_family = options(per_service={"api": {"stats_sidecar_images": ["*stats-agent*"]}})
    assert run(ECS403, model(td), per_family) == []
    per_service = options(per_service={"public": {"stats_sidecar_images": ["*stats-agent*"]}})
    assert run(ECS403, model(service(td, name="public")), per_service) == []
    assert len(run(ECS403, model(td), options(stats_sidecar_images=["*/other/*"]))) == 1


def test_ecs403_a_wholly_unknown_image_is_no_evidence_of_a_collector():
    problems = run(ECS403, model(task(APP, container("x", image=UNKNOWN))))
    assert summary(problems) == [("ECS403", "aws_ecs_task_definition.app", "containers")]
    assert ("the image of container 'x' is not known statically: if it is your own "
            "collector, name it in option stats_sidecar_images") in problems[0].message
    assert "stats_sidecar_containers (container-name globs)" in problems[0].message
    by_name = options(stats_sidecar_containers=["x", "metrics-*"])
    assert run(ECS403, model(task(APP, container("x", image=UNKNOWN))), by_name) == []
    assert run(ECS403, model(task(APP, container("metrics-agent", image=UNKNOWN))),
               by_name) == []


@pytest.mark.parametrize("image, fires", [
    (PartlyKnown(f"{UNKNOWN_MARK}/aws-otel-collector:v0.40.0"), False),  # known tail
    (PartlyKnown(f"{UNKNOWN_MARK}/prometheuscommunity/ecs-exporter:0.4"), False),
    (PartlyKnown(f"{UNKNOWN_MARK}/storefront:{UNKNOWN_MARK}"), True),  # known: not one
    (PartlyKnown(f"registry/{UNKNOWN_MARK}"), True),  # the repository is unknown: no evidence
    (PartlyKnown(f"{UNKNOWN_MARK}otel-collector:1"), True),  # not a whole path segment
])
def test_ecs403_a_partly_known_image_is_matched_on_its_known_text(image, fires):
    problems = run(ECS403, model(task(APP, container("x", image=image))))
    assert bool(problems) is fires


def test_ecs403_globs_match_the_unknown_parts_of_an_image():
    image = PartlyKnown(f"{UNKNOWN_MARK}/metrics/collector:1")
    td = task(APP, container("x", image=image))
    assert run(ECS403, model(td), options(stats_sidecar_images=["*/metrics/*"])) == []
    strict = options(stats_sidecar_images=["registry.example.com/metrics/*"])
    assert len(run(ECS403, model(td), strict)) == 1


@pytest.mark.parametrize("td", [
    task(APP, container("x", image="alpine:3", command=UNKNOWN)),
    task(APP, container("x", image="alpine:3", command=["sh", "-c", UNKNOWN])),
    task(APP, container("x", image="alpine:3", environment=UNKNOWN)),
    task(APP, container("x", image="alpine:3", environment={"A": UNKNOWN})),
    task(APP, container("dd", image="datadog/agent:7", environment={"ECS_FARGATE": UNKNOWN})),
    task(APP, container("adot", image="amazon/aws-otel-collector", command=UNKNOWN)),
    task(containers=UNKNOWN),
    task(),
])
def test_ecs403_silent_on_unknown(td):
    assert run(ECS403, model(td)) == []


def test_ecs403_a_known_collector_wins_over_unknowns():
    td = task(container("x", image=UNKNOWN), container("nr", image="newrelic/nri-ecs:1"))
    assert run(ECS403, model(td)) == []


# ECS404 metrics-sidecar-essential -------------------------------------------------------

def test_ecs404_fires_for_essential_collector():
    exporter = container("exporter", image="quay.io/prometheuscommunity/ecs-exporter:v0.4.0")
    problems = run(ECS404, model(task(APP, exporter)))
    assert summary(problems) == [("ECS404", "exporter", "essential")]
    assert problems[0].container is exporter
    assert problems[0].message.startswith("stats collector container 'exporter' is essential")


def test_ecs404_option_collectors_count():
    sidecar = container("stats", image="acme/stats:1")
    opts = options(stats_sidecar_images=["acme/stats"])
    assert summary(run(ECS404, model(task(APP, sidecar)), opts)) == [
        ("ECS404", "stats", "essential")]


@pytest.mark.parametrize("td", [
    task(APP, container("exporter", image="prometheuscommunity/ecs-exporter", essential=False)),
    task(APP, container("exporter", image="prometheuscommunity/ecs-exporter", essential=UNKNOWN)),
    task(APP, container("x", image=UNKNOWN)),
    task(APP),
    task(containers=UNKNOWN),
])
def test_ecs404_silent(td):
    assert run(ECS404, model(td)) == []


@pytest.mark.parametrize("declared, codes", [
    ("enabled", {"ECS402"}), ("enhanced", set()), ("disabled", {"ECS401"}), (None, {"ECS401"}),
])
def test_account_container_insights_option_declares_the_account_default(declared, codes):
    opts = options() if declared is None else options(account_container_insights=declared)
    m = model(cluster(None))
    found = {p.code for rule in (ECS401, ECS402) for p in run(rule, m, opts)}
    assert found == codes


def test_an_account_setting_in_the_configuration_wins_over_the_option():
    m = model(cluster(None), account("disabled"))
    assert run(ECS401, m, options(account_container_insights="enhanced"))
