"""The live model and the rules on it, against moto in-process (`mock_aws`)."""

# Peer: moto in-process. It implements every Describe/List/Get call the audit makes with the
# real wire protocols (botocore serializes and parses as for AWS), which is what the model
# needs. It lacks stop codes, container exit codes/reasons and service events: those are in
# test_audit_stops.py with botocore's Stubber.

from __future__ import annotations

import json
from datetime import datetime, timezone

import boto3
import pytest
from moto import mock_aws

from ecslint.audit import AuditError
from ecslint.audit.aws import open_session
from ecslint.audit.command import AuditRequest, parse_since, run_audit
from ecslint.audit.live_model import read_account
from ecslint.audit.metrics import period_for
from ecslint.model import ContainerHealthCheck, Location, TargetGroupHealthCheck
from ecslint.report import render
from ecslint.settings import Settings
from ecslint.sources import jsonpos, taskdef
from test_audit_kit import NOW, REGION, apply_env, fake_aws_env, seed_account


@pytest.fixture(scope="module")
def account():
    # One seeded account for the module: seeding takes seconds. Tests leave it as they found it.
    with pytest.MonkeyPatch.context() as monkeypatch, mock_aws():
        apply_env(monkeypatch, fake_aws_env(None))
        yield seed_account(lambda name: boto3.client(name, region_name=REGION))


def audit(**request) -> object:
    return run_audit(AuditRequest(**request), Settings(), now=NOW)


def live(clusters=(), services=()):
    return read_account(open_session(None, None), list(clusters), list(services))


def scalable_target_arn() -> str:
    found = boto3.client("application-autoscaling", region_name=REGION).describe_scalable_targets(
        ServiceNamespace="ecs")
    return found["ScalableTargets"][0]["ScalableTargetARN"]


def test_live_model_is_the_normalized_model_named_by_arn(account):
    model = live().model
    assert model.live is True
    cluster, = model.clusters
    assert (cluster.address, cluster.where, cluster.name) == (
        account["cluster"], Location(account["cluster"], None, None), "prod")
    assert (cluster.container_insights, cluster.default_strategy) == ("disabled", ["ec2cp"])
    cp, = model.capacity_providers
    assert (cp.name, cp.managed_scaling_status) == ("ec2cp", "DISABLED")
    assert cluster.capacity_providers == [cp]
    group, = model.auto_scaling_groups
    assert (group.address, group.name, group.suspended_processes) == (
        account["asg"], "ecs-asg", ["Launch"])
    assert cp.auto_scaling_group is group and cluster.auto_scaling_groups == [group]
    alarm, = model.alarms
    assert (alarm.metric_name, alarm.actions_enabled, alarm.alarm_actions) == (
        "CPUReservation", False, [account["policy"]])
    policy, = model.autoscaling_policies
    assert alarm.policies == [policy]
    assert (policy.address, policy.enabled, policy.auto_scaling_group) == (
        account["policy"], True, group)

    api, worker = model.services
    assert [(s.address, s.name, s.cluster, s.launch_type) for s in model.services] == [
        (account["api"], "api", cluster, "FARGATE"),
        (account["worker"], "worker", cluster, "FARGATE")]
    td = api.task_definition
    assert (td.address, td.family, td.cpu, td.memory, td.requires_compatibilities) == (
        "arn:aws:ecs:us-east-1:123456789012:task-definition/api:1", "api", 256, 512,
        ["FARGATE"])
    web, = td.containers
    assert (web.address, web.where, web.name, web.memory) == (
        td.address, Location(td.address, None, None), "web", 512)
    assert isinstance(web.health_check, ContainerHealthCheck)
    assert (web.health_check.timeout, web.health_check.retries) == (5, 3)

    lb, = api.load_balancers
    tg = lb.target_group
    assert (lb.container_name, lb.container_port, tg.address, tg.name, tg.protocol) == (
        "web", 8080, account["tg"], "api", "HTTP")
    assert tg.load_balancer_type == "application"
    assert isinstance(tg.health_check, TargetGroupHealthCheck)
    hc = tg.health_check
    assert (hc.enabled, hc.interval, hc.timeout, hc.healthy_threshold,
            hc.unhealthy_threshold, hc.protocol) == (True, 30, 5, 3, 2, "HTTP")
    target = api.scalable_target
    assert (target.address, target.resource_id, target.min_capacity, target.max_capacity,
            target.dynamic_scaling_out_suspended, target.policies) == (
        scalable_target_arn(), "service/prod/api", 1, 1, True, [])
    assert worker.scalable_target is None and worker.load_balancers == []


def test_containers_map_exactly_as_the_json_source_maps_them(account, tmp_path):
    """The live source reuses the task-definition JSON mapper: same Container fields."""
    ecs = boto3.client("ecs", region_name=REGION)
    described = ecs.describe_task_definition(taskDefinition="api", include=["TAGS"])
    described.pop("ResponseMetadata")
    path = tmp_path / "api.json"
    path.write_text(json.dumps(described, default=str))
    from_file = taskdef.task_definition_from_json(jsonpos.loads(path.read_text(), str(path)),
                                                  "describe", str(path))
    from_live = next(s for s in live().model.services if s.name == "api").task_definition
    fields = ("name", "image", "essential", "cpu", "memory", "memory_reservation", "command",
              "entry_point", "environment", "firelens")
    for a, b in zip(from_file.containers, from_live.containers, strict=True):
        assert [getattr(a, f) for f in fields] == [getattr(b, f) for f in fields]
        assert vars(a.health_check) == vars(b.health_check)
    assert (from_file.cpu, from_file.memory, from_file.network_mode) == (
        from_live.cpu, from_live.memory, from_live.network_mode)


def test_audit_runs_the_static_rules_and_the_live_ones_on_the_account(account):
    report = audit()
    td_api = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:1"
    td_worker = "arn:aws:ecs:us-east-1:123456789012:task-definition/worker:1"
    target = scalable_target_arn()
    alarm = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:prod-cpu-reservation"
    cp = "arn:aws:ecs:us-east-1:123456789012:capacity-provider/ec2cp"
    assert [(f.code, f.file, f.line) for f in report.findings] == [
        ("ECS302", target, None), ("ECS303", target, None), ("ECS303", target, None),
        ("ECS301", account["asg"], None), ("ECS301", alarm, None), ("ECS301", cp, None),
        ("ECS401", account["cluster"], None), ("ECS203", account["api"], None),
        ("ECS902", account["api"], None), ("ECS903", account["api"], None),
        ("ECS302", account["worker"], None), ("ECS904", account["worker"], None),
        ("ECS201", td_api, None), ("ECS403", td_api, None), ("ECS403", td_worker, None),
        ("ECS201", account["tg"], None)]
    assert all(f.resource == f.file for f in report.findings)
    ecs201 = [f.message for f in report.findings if f.code == "ECS201"]
    # The observed 99.5% CPU replaces the configured peak utilization of 0.9 (rules.md).
    assert ecs201 == [
        "container 'web' health-check timeout 5 s is at most the expected latency 40.0 s of "
        "a 50 ms request at 0.25 vCPU and 99.5% utilization (L = C / min(q,1) / (1-p))",
        "target group health-check timeout 5 s is at most the expected latency 40.0 s of a "
        "50 ms request at 0.25 vCPU and 99.5% utilization (L = C / min(q,1) / (1-p))"]
    ecs902, = [f.message for f in report.findings if f.code == "ECS902"]
    task = account["task"].rsplit("/", 1)[1]
    assert ecs902 == (
        f"service 'api': 1 task stopped after failing ELB health checks in the last 24h (task "
        f"{task}); maximum CPUUtilization in the window 99.5%: at or near 100% this points to "
        "CPU starvation (health checks time out while the task is pinned at its CPU limit), "
        "not memory; give the task more cpu or scale out on CPU")
    assert report.usage_errors == []


def test_report_data_and_text_sections(account):
    report = audit()
    doc = json.loads(render(report, "json"))
    window_start = parse_since("24h")
    assert doc["audit"] == {
        "account": "123456789012", "region": "us-east-1", "endpoint": None, "since": "24h",
        "window_start": (NOW - window_start).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "window_end": NOW.strftime("%Y-%m-%dT%H:%M:%SZ"), "clusters": ["prod"],
        "services": ["prod/api", "prod/worker"]}
    assert doc["metrics"] == [
        {"cluster": "prod", "service": "api", "service_arn": account["api"],
         "max_cpu_utilization": 99.5, "max_memory_utilization": 61.0,
         "target_response_time": [{"target_group": account["tg"],
                                   "load_balancer": account["lb"], "max_seconds": 4.75}],
         "verified": True},
        {"cluster": "prod", "service": "worker", "service_arn": account["worker"],
         "max_cpu_utilization": 20.0, "max_memory_utilization": 95.0,
         "target_response_time": [], "verified": True}]
    task = account["task"].rsplit("/", 1)[1]
    reason = f"Task failed ELB health checks in (target-group {account['tg']})"
    assert doc["stopped_tasks"] == [
        {"cluster": "prod", "service": "api", "service_arn": account["api"], "verified": True,
         "stops": [{"task": task, "stopped_at": None, "cause": "elb-health-check",
                    "source": "task", "stop_code": None, "stopped_reason": reason,
                    "containers": [{"name": "web", "exit_code": 0, "reason": None}],
                    "detail": reason, "peaks": []}]},
        {"cluster": "prod", "service": "worker", "service_arn": account["worker"],
         "verified": True, "stops": []}]
    assert doc["not_verified"] == []
    # What was audited comes before the findings; the tables after them.
    assert report.header[0].startswith(
        "Live audit of account 123456789012, region us-east-1; window 24h (")
    assert report.header[1:] == [""]
    source = "AWS/ECS service utilization x task size"
    no_rules = ("  ECS906/ECS907 not verified: no per-container metrics (Container Insights is "
                "disabled on the cluster).")
    assert report.sections[1:] == [
        "Usage of prod/api against its limits (peaks in the window; limits of revision "
        "api:1):\n"
        "  CONTAINER  MEMORY PEAK  OF ITS LIMIT                       CPU PEAK     OF ITS SHARE"
        "                   SOURCE\n"
        "  web        312.3 MiB    61% of 512 MiB (container memory)  254.7 units  99.5% of 256 "
        f"units (task cpu)  {source}\n"
        "  (task)     312.3 MiB    61% of 512 MiB (task memory)       254.7 units  99.5% of 256 "
        f"units (task cpu)  {source}\n" + no_rules,
        "",
        "Stopped tasks of prod/api (max CPU 99.5%, max memory 61%, max TargetResponseTime "
        "4.75 s (api)):\n"
        "  STOPPED AT  TASK" + " " * 34 + "CAUSE             DETAIL\n"
        f"  -           {task}  ELB health check  {reason}",
        "",
        "Usage of prod/worker against its limits (peaks in the window; limits of revision "
        "worker:1):\n"
        "  CONTAINER  MEMORY PEAK  OF ITS LIMIT                       CPU PEAK    OF ITS SHARE"
        "                 SOURCE\n"
        "  worker     486.4 MiB    95% of 512 MiB (container memory)  51.2 units  20% of 256 "
        f"units (task cpu)  {source}\n"
        "  (task)     486.4 MiB    95% of 512 MiB (task memory)       51.2 units  20% of 256 "
        f"units (task cpu)  {source}\n" + no_rules,
        "",
        "Stopped tasks of prod/worker (max CPU 20%, max memory 95%): none in the window.", ""]
    api = doc["usage"][0]
    assert (api["service"], api["container_insights"], api["rules_verified"],
            api["not_verified"]) == ("api", "disabled", False, ["ECS906", "ECS907"])
    web, = api["containers"]
    assert web["memory"] == {
        "peak": 312.3, "unit": "MiB", "limit": 512, "limit_of": "container", "percent": 61.0,
        "source": "aws-ecs", "metric": "AWS/ECS MemoryUtilization x task memory",
        "verified": True, "reason": None}
    assert (web["cpu"]["peak"], web["cpu"]["limit"], web["cpu"]["limit_of"],
            web["cpu"]["percent"]) == (254.7, 256, "task", 99.5)
    assert doc["regions"] == [{"region": "us-east-1", "audit": doc["audit"],
                               "summary": {"findings": 16, "error": 6, "warning": 10,
                                           "info": 0}}]


def test_cluster_and_service_filters(account):
    ecs = boto3.client("ecs", region_name=REGION)
    ecs.create_cluster(clusterName="staging")
    try:
        assert [c.name for c in live().model.clusters] == ["prod", "staging"]
        assert [c.name for c in live(["staging"]).model.clusters] == ["staging"]
    finally:
        ecs.delete_cluster(cluster="staging")
    assert [c.name for c in live().model.clusters] == ["prod"]  # INACTIVE is skipped
    only = live(["prod"], ["worker"])
    assert [s.name for s in only.model.services] == ["worker"]
    assert [t.family for t in only.model.task_definitions] == ["worker"]
    assert live(["prod"], [account["api"]]).services[0].label == "prod/api"


@pytest.mark.parametrize("request_kw, message", [
    ({"clusters": ["nope"]}, "cluster not found: nope"),
    ({"clusters": ["prod", "nope"]}, "cluster not found: nope"),
    ({"services": ["api", "nope"]}, "service not found in the audited clusters: nope"),
    ({"since": "yesterday"}, "invalid --since 'yesterday': use minutes, hours, days or weeks, "
                             "e.g. 90m, 24h, 7d"),
    ({"terraform": "/nonexistent/dir"}, "--terraform /nonexistent/dir: no such directory"),
])
def test_usage_errors_are_audit_errors(account, request_kw, message):
    with pytest.raises(AuditError) as caught:
        audit(**request_kw)
    assert str(caught.value) == message


@pytest.mark.parametrize("text, seconds", [
    ("24h", 86400), ("90m", 5400), ("7d", 604800), ("2w", 1209600), ("1h30m", 5400),
    (" 15M ", 900)])
def test_since(text, seconds):
    assert parse_since(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "24", "0h", "1y", "-1h", "500d"])
def test_since_rejects(text):
    with pytest.raises(AuditError):
        parse_since(text)


def test_metric_period_keeps_series_small_and_valid():
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert period_for(start, start.replace(day=2)) == 60
    assert period_for(start, start.replace(day=8)) == 420
    assert period_for(start, start.replace(month=1, day=31)) == 1800  # > 15 days: 300 multiples
    assert period_for(start, start.replace(month=4)) == 7200  # > 63 days: 3600 multiples


def test_endpoint_url_env_is_honoured_by_botocore_itself(account, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    aws = open_session(None, None)
    assert [aws.client(n).meta.endpoint_url for n in ("ecs", "elbv2", "cloudwatch", "sts")] \
        == ["http://127.0.0.1:4566"] * 4
    monkeypatch.setenv("AWS_ENDPOINT_URL_ECS", "http://127.0.0.1:4567")
    assert open_session(None, None).endpoint("ecs") == "http://127.0.0.1:4567"
