"""Usage against limits: limits, sources best first, 'no data' reasons, ECS906/ECS907, peaks."""

# Peer: a fake CloudWatch that answers GetMetricData from a table keyed by namespace, metric and
# the exact dimension set, as CloudWatch matches them; a query the audit sends with other
# dimensions gets no data, so these tests also pin the dimensions of every query.

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from ecslint.audit import usage, usage_findings
from ecslint.audit.live_model import Live, LiveService
from ecslint.audit.live_related import TargetGroups
from ecslint.audit.metric_data import MetricBatch
from ecslint.audit.pool import Pool
from ecslint.audit.stops import ServiceStops, Stop
from ecslint.checks.base import Options
from ecslint.model import AccountSetting, Cluster, EcsModel, is_unknown
from modelkit import container, entity, service, target_group, task, tg_health_check
from test_audit_kit import NOW

START = NOW - timedelta(hours=24)


class FakeCloudWatch:
    """`pages` of GetMetricData from a table; None (a failed call) when `fail` is set."""

    def __init__(self, table: dict[tuple, list[float]], fail: bool = False) -> None:
        self.table, self.fail, self.asked = table, fail, []
        self.pool = Pool(1)

    def map(self, fn, items):
        return self.pool.map(fn, items)

    def pages(self, service_name: str, method: str, what: str, **params: Any):
        assert (service_name, method) == ("cloudwatch", "get_metric_data")
        if self.fail:
            return None
        results = []
        for q in params["MetricDataQueries"]:
            metric = q["MetricStat"]["Metric"]
            key = (metric["Namespace"], metric["MetricName"],
                   frozenset((d["Name"], d["Value"]) for d in metric["Dimensions"]))
            self.asked.append(key)
            values = self.table.get(key, [])
            results.append({"Id": q["Id"], "Values": values, "Timestamps": [
                NOW - timedelta(minutes=10 * (i + 1)) for i in range(len(values))]})
        return [{"MetricDataResults": results}]


def key(namespace: str, metric: str, **dims: str) -> tuple:
    return namespace, metric, frozenset(dims.items())


SHOP = {"ClusterName": "shop", "ServiceName": "api"}


def live_of(svc, insights: Any = "enhanced") -> Live:
    cluster = entity(Cluster, "arn:cluster/shop", name="shop", container_insights=insights)
    svc.cluster = cluster
    return Live(EcsModel(live=True), [LiveService(svc, "shop", [], "arn:td/api:1")], [cluster],
                TargetGroups())


def measure(svc, table: dict, insights: Any = "enhanced", fail: bool = False,
            stops: list[Stop] = ()) -> tuple[usage.ServiceUsage, FakeCloudWatch]:
    live = live_of(svc, insights)
    stopped = [ServiceStops(live.services[0], list(stops))]
    batch = MetricBatch(60)
    planned = usage.plan(batch, live, stopped)
    cw = FakeCloudWatch(table, fail)
    batch.fetch(cw, START, NOW)
    return usage.resolve(planned, batch, stopped)[0], cw


# ------------------------------------------------------------------ limits

@pytest.mark.parametrize("fields, task_fields, memory, cpu", [
    ({"memory": 4096, "cpu": 256}, {"memory": "16384", "cpu": "4096"},
     (4096, "container"), (256, "container")),
    ({"memory_reservation": 256}, {"memory": "16 GB", "cpu": "1 vCPU"},
     (16384, "task"), (1024, "task")),
    ({"cpu": 0}, {}, (None, None), (None, None)),
])
def test_the_limit_is_the_containers_own_else_the_tasks(fields, task_fields, memory, cpu):
    c = container("app", **fields)
    td = task(c, **task_fields)
    assert (usage.memory_limit(c, td), usage.cpu_share(c, td)) == (memory, cpu)


# ------------------------------------------------------------------ sources

def web_service(**container_fields: Any):
    fields = {"cpu": 256, **container_fields}
    td = task(container("web", **fields), compat=("FARGATE",), cpu="256", memory="512")
    return service(td, name="api")


def test_per_container_metrics_win_and_the_query_has_the_documented_dimensions():
    svc = web_service(memory=400)
    found, cw = measure(svc, {
        key("ECS/ContainerInsights", "ContainerMemoryUtilized", **SHOP, ContainerName="web"):
            [310.0, 380.0],
        key("ECS/ContainerInsights", "ContainerCpuUtilized", **SHOP, ContainerName="web"):
            [200.0, 100.0],
        key("ECS/ContainerInsights", "MemoryUtilized", **SHOP): [390.0],
        key("AWS/ECS", "MemoryUtilization", **SHOP): [99.0]})
    web, = found.containers
    assert (web.memory.peak, web.memory.limit, web.memory.limit_of, web.memory.source) == (
        380.0, 400, "container", "container-insights-enhanced")
    assert web.memory.percent == 95.0
    assert (web.cpu.peak, web.cpu.limit, web.cpu.limit_of, round(web.cpu.percent, 2)) == (
        200.0, 256, "container", 78.12)
    assert (found.task.memory.peak, found.task.memory.limit, found.task.memory.source) == (
        390.0, 512, "container-insights")
    assert found.not_verified is None
    assert web.memory.series == [(NOW - timedelta(minutes=20), 380.0),
                                 (NOW - timedelta(minutes=10), 310.0)]
    assert key("ECS/ContainerInsights", "ContainerCpuUtilized", **SHOP,
               ContainerName="web") in cw.asked


def test_a_one_container_task_falls_back_to_the_task_total_then_to_aws_ecs():
    svc = web_service(memory=400)
    found, _ = measure(svc, {key("ECS/ContainerInsights", "MemoryUtilized", **SHOP): [390.0],
                             key("AWS/ECS", "CPUUtilization", **SHOP): [50.0]},
                       insights="enabled")
    web, = found.containers
    assert (web.memory.peak, web.memory.limit, web.memory.source) == (
        390.0, 400, "container-insights")
    # AWS/ECS CPUUtilization is relative to the task cpu: 50% of 256 units.
    assert (web.cpu.peak, web.cpu.source, found.task.cpu.peak) == (128.0, "aws-ecs", 128.0)
    assert found.not_verified == "Container Insights is enabled but not enhanced on the cluster"


def test_a_task_total_is_no_containers_number_when_the_task_has_several():
    td = task(container("web", memory=400), container("log", memory=50), compat=("FARGATE",),
              cpu="256", memory="512")
    found, _ = measure(service(td, name="api"),
                       {key("ECS/ContainerInsights", "MemoryUtilized", **SHOP): [440.0]},
                       insights="enabled")
    assert [(c.name, c.memory.peak) for c in found.containers] == [("web", None), ("log", None)]
    assert found.containers[0].memory.reason == (
        "no data: Container Insights is not enhanced (no per-container metrics); the task "
        "total is in the task row")
    assert found.task.memory.peak == 440.0


def test_container_insights_off_asks_only_aws_ecs_and_says_why():
    svc = web_service()
    found, cw = measure(svc, {}, insights="disabled")
    assert {k[0] for k in cw.asked} == {"AWS/ECS"}
    web, = found.containers
    assert (web.memory.peak, web.memory.reason) == (
        None, "no data: Container Insights is disabled")
    assert found.not_verified == "Container Insights is disabled on the cluster"
    assert found.as_dict()["not_verified"] == ["ECS906", "ECS907"]


def test_the_account_default_applies_to_a_cluster_without_a_setting():
    svc = web_service()
    live = live_of(svc, insights=None)
    live.model.account_settings = [entity(AccountSetting, "account setting",
                                          name="containerInsights", value="enhanced")]
    assert usage.effective_insights(live, "shop") == "enhanced"
    live.model.account_settings = []
    assert usage.effective_insights(live, "shop") == "disabled"


def test_a_failed_call_is_not_verified_not_no_data():
    found, _ = measure(web_service(), {}, fail=True)
    web, = found.containers
    assert is_unknown(web.memory.peak) and web.memory.reason == usage.NOT_READ
    assert web.as_dict()["memory"]["verified"] is False
    assert found.not_verified == "the metrics could not be read"


def test_a_stopped_task_gets_its_own_peaks_with_the_limits_it_ran_with():
    svc = web_service()
    stop = Stop("elb-health-check", "task", "t1", NOW - timedelta(minutes=30),
                limits={"cpu": "512", "memory": "1024",
                        "containers": {"web": {"cpu": 0, "memory": None}}})
    task_dims = {**SHOP, "TaskId": "t1"}
    found, _ = measure(svc, {
        key("ECS/ContainerInsights", "ContainerCpuUtilized", **task_dims, ContainerName="web"):
            [250.0],
        key("ECS/ContainerInsights", "ContainerMemoryUtilized", **task_dims,
            ContainerName="web"): [700.0]}, stops=[stop])
    ran, = found.tasks
    web, = ran.containers
    # The container's cpu 0 in DescribeTasks is unset: its revision's 256 stands.
    assert (web.cpu.peak, web.cpu.limit, web.memory.peak, web.memory.limit) == (
        250.0, 256, 700.0, 1024)
    assert found.containers[0].memory.peak is None  # no service-wide series seeded
    peaks = usage_findings.stop_peaks(found, stop)
    assert [(p.container, p.scope) for p in peaks] == [("web", "task")]
    assert usage_findings.peaks_text(peaks) == (
        "peaks in that task: web CPU 97.7% of 256 units, memory 68.4% of 1024 MiB")
    other = Stop("oom", "task", "t1", NOW)
    assert usage_findings.stop_peaks(found, other) == []


# ------------------------------------------------------------------ ECS906 / ECS907

def findings_of(svc, table, options: Options | None = None, insights: str = "enhanced"):
    found, _ = measure(svc, table, insights=insights)
    return usage_findings.findings([found], options or Options(), "24h")


def memory_table(value: float, name: str = "app") -> dict:
    return {key("ECS/ContainerInsights", "ContainerMemoryUtilized", **SHOP,
                ContainerName=name): [value]}


def report_service(container_memory: int | None = 4096):
    fields = {"memory": container_memory} if container_memory else {}
    td = task(container("app", **fields), compat=("FARGATE",), cpu="4096", memory="16384")
    return service(td, name="api")


def test_ecs906_names_the_container_limit_far_below_the_task_memory():
    finding, = findings_of(report_service(), memory_table(4000.0))
    assert (finding.code, finding.container, finding.file) == ("ECS906", "app",
                                                               "aws_ecs_service.api")
    assert finding.message == (
        "service 'api': container 'app' peaked at 4000 MiB in the last 24h, 97.7% of its "
        "container memory limit of 4096 MiB (threshold 90%; Container Insights "
        "ContainerMemoryUtilized): the container's hard `memory` is the limit that binds, and "
        "it is far below the task memory of 16384 MiB (25%): the container is OOM-killed "
        "(OutOfMemoryError, exit 137) while the task still has 12288 MiB, so a dashboard of "
        "task memory shows an OOM far below the task size; raise or remove the container's "
        "`memory` (ECS103)")


def test_ecs906_names_the_task_memory_when_the_container_sets_none():
    finding, = findings_of(report_service(None), memory_table(15000.0))
    assert "91.6% of the task memory of 16384 MiB (the container sets no hard `memory`" in \
        finding.message


def test_ecs906_container_limit_near_the_task_memory_is_not_far_below():
    finding, = findings_of(report_service(12288), memory_table(12000.0))
    assert finding.message.endswith("is the limit that binds; raise it (and the task memory "
                                    "with it) or find what grows")


@pytest.mark.parametrize("value, fires", [(3686.4, True), (3686.3, False)])
def test_ecs906_fires_from_the_threshold_on(value, fires):
    assert bool(findings_of(report_service(), memory_table(value))) is fires


def test_ecs906_threshold_option_per_service():
    options = Options(values={"container_memory_near_limit": 90.0},
                      per_service={"api": {"container_memory_near_limit": 99.0}})
    assert findings_of(report_service(), memory_table(4000.0), options) == []


def test_ecs906_and_ecs907_need_per_container_metrics():
    table = {key("ECS/ContainerInsights", "MemoryUtilized", **SHOP): [4090.0],
             key("ECS/ContainerInsights", "CpuUtilized", **SHOP): [4090.0]}
    assert findings_of(report_service(), table, insights="enabled") == []


def api_service(timeout: Any = 5):
    tg = target_group("api", health_check=tg_health_check(timeout=timeout))
    tg.address = "arn:tg/api"
    td = task(container("web", cpu=256), compat=("FARGATE",), cpu="256", memory="512")
    return service(td, name="api", lbs=[(tg, "web")])


def cpu_table(value: float) -> dict:
    return {key("ECS/ContainerInsights", "ContainerCpuUtilized", **SHOP,
                ContainerName="web"): [value]}


def test_ecs907_adds_the_health_check_latency_when_the_container_serves_a_target_group():
    finding, = findings_of(api_service(), cpu_table(253.44))
    assert (finding.code, finding.container) == ("ECS907", "web")
    assert finding.message == (
        "service 'api': container 'web' peaked at 253.4 CPU units in the last 24h, 99% of its "
        "CPU share of 256 units (container `cpu`; threshold 90%; Container Insights "
        "ContainerCpuUtilized): its requests queue for CPU; it serves a target group: the "
        "expected latency 20.0 s of a 50 ms request at 0.25 vCPU and 99% utilization "
        "(L = C / min(q,1) / (1-p)) (ECS201), against the 5 s health-check timeout of target "
        "group 'api', so health checks time out and ECS replaces the task (ECS902); give the "
        "container more `cpu` or scale out on CPU")


def test_ecs907_without_a_target_group_and_over_the_share():
    td = task(container("worker", cpu=512), cpu=None, memory="1024")
    svc = service(td, name="api")
    finding, = findings_of(svc, {key("ECS/ContainerInsights", "ContainerCpuUtilized", **SHOP,
                                     ContainerName="worker"): [640.0]})
    assert "640 CPU units in the last 24h, 125% of its CPU share of 512 units" in finding.message
    assert "target group" not in finding.message


def test_ecs907_threshold_and_silence_below():
    assert findings_of(api_service(), cpu_table(230.0)) == []
    options = Options(values={"container_cpu_saturation": 80.0})
    assert [f.code for f in findings_of(api_service(), cpu_table(230.0), options)] == ["ECS907"]


def test_usage_json_shape():
    found, _ = measure(web_service(memory=400), memory_table(380.0, "web"))
    doc = found.as_dict()
    assert list(doc) == ["cluster", "service", "service_arn", "task_definition",
                         "container_insights", "containers", "task", "stopped_tasks",
                         "rules_verified", "not_verified", "not_verified_reason"]
    assert doc["containers"][0]["memory"] == {
        "peak": 380.0, "unit": "MiB", "limit": 400, "limit_of": "container", "percent": 95.0,
        "source": "container-insights-enhanced",
        "metric": "ECS/ContainerInsights ContainerMemoryUtilized",
        "verified": True, "reason": None}
    assert doc["containers"][0]["cpu"]["reason"] == "no data in the window"
