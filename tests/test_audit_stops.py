"""Why tasks stopped: causes, the per-service table, ECS901/ECS902."""

# Peer: botocore's Stubber on the ECS client, because moto has no stop codes, container exit
# codes and reasons, or service events. The Stubber validates every canned response against
# botocore's ECS service model, so the shapes below are the real API's. The whole-audit test
# mixes it with moto in-process for STS, ELB, Application Auto Scaling and CloudWatch.

from __future__ import annotations

import json
from datetime import timedelta

import boto3
import botocore.session
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from ecslint.audit import stops
from ecslint.audit.command import AuditRequest, run_audit
from ecslint.checks.base import Options
from ecslint.model import Cluster, Location, Service
from ecslint.report import render
from ecslint.settings import Settings
from test_audit_kit import NOW, REGION, apply_env, fake_aws_env

ECS = botocore.session.get_session().get_service_model("ecs")
CLUSTER = "arn:aws:ecs:us-east-1:123456789012:cluster/shop"
SERVICE = "arn:aws:ecs:us-east-1:123456789012:service/shop/checkout"
TASK_DEF = "arn:aws:ecs:us-east-1:123456789012:task-definition/checkout:7"
TG_REASON = "Task failed ELB health checks in (target-group {})"
OOM = "OutOfMemoryError: Container killed due to memory usage"


@pytest.fixture(autouse=True)
def no_real_aws(monkeypatch):
    """Fake keys and a closed loopback endpoint: a call a Stubber does not catch fails."""
    apply_env(monkeypatch, fake_aws_env())


def task_id(n: int) -> str:
    return f"{n:032x}"


def task(n: int, minutes_ago: int, stop_code: str | None, reason: str,
         containers: list[dict]) -> dict:
    out = {"taskArn": f"arn:aws:ecs:us-east-1:123456789012:task/shop/{task_id(n)}",
           "clusterArn": CLUSTER, "taskDefinitionArn": TASK_DEF, "group": "service:checkout",
           "lastStatus": "STOPPED", "desiredStatus": "STOPPED", "stoppedReason": reason,
           "stoppedAt": NOW - timedelta(minutes=minutes_ago), "containers": containers}
    if stop_code:
        out["stopCode"] = stop_code
    return out


def container(name: str, exit_code: int | None = None, reason: str | None = None,
              health: str | None = None) -> dict:
    out: dict = {"name": name, "lastStatus": "STOPPED"}
    if exit_code is not None:
        out["exitCode"] = exit_code
    if reason is not None:
        out["reason"] = reason
    if health is not None:
        out["healthStatus"] = health
    return out


def described(*tasks: dict) -> list[dict]:
    """The tasks as botocore parses a describe_tasks response (shape-checked by Stubber)."""
    client = boto3.client("ecs", region_name=REGION, aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    with Stubber(client) as stub:
        stub.add_response("describe_tasks", {"tasks": list(tasks), "failures": []})
        return client.describe_tasks(cluster=CLUSTER, tasks=[t["taskArn"] for t in tasks])["tasks"]


def test_every_stop_code_of_the_api_has_a_cause():
    codes = set(ECS.shape_for("TaskStopCode").enum)
    handled = {"TaskFailedToStart", "EssentialContainerExited", "UserInitiated",
               "ServiceSchedulerInitiated", "SpotInterruption", "TerminationNotice",
               "InfrastructureHealth"}
    assert codes <= handled
    assert {"stopCode", "stoppedReason", "containers", "group", "stoppedAt"} <= set(
        ECS.shape_for("Task").members)
    assert {"exitCode", "reason", "healthStatus"} <= set(ECS.shape_for("Container").members)


@pytest.mark.parametrize("stop_code, reason, containers, cause, detail", [
    ("EssentialContainerExited", "Essential container in task exited",
     [container("web", 137, OOM), container("log-router", 0)], "oom",
     f"container 'web': {OOM} (exit 137)"),
    ("ServiceSchedulerInitiated", TG_REASON.format("arn:tg"),
     [container("web", 137)], "elb-health-check",
     "Task failed ELB health checks in (target-group arn:tg); exit code 137 of container "
     "'web' is SIGKILL after the stop timeout (it did not exit within the timeout after "
     "SIGTERM), not an OOM kill"),
    ("ServiceSchedulerInitiated", "Task failed container health checks",
     [container("web", 143, health="UNHEALTHY"), container("sidecar", 0, health="HEALTHY")],
     "container-health-check", "Task failed container health checks; unhealthy: web"),
    ("EssentialContainerExited", "Essential container in task exited",
     [container("web", 1), container("sidecar", 0)], "essential-container-exit",
     "container 'web' exited with code 1"),
    ("EssentialContainerExited", "Essential container in task exited",
     [container("web", 137)], "essential-container-exit",
     "container 'web' exited with code 137; exit code 137 of container 'web' is SIGKILL after "
     "the stop timeout (it did not exit within the timeout after SIGTERM), not an OOM kill"),
    ("ServiceSchedulerInitiated", "Scaling activity initiated by (deployment ecs-svc/42)",
     [container("web", 0)], "deployment-scaling",
     "Scaling activity initiated by (deployment ecs-svc/42)"),
    ("UserInitiated", "Task stopped by user", [container("web", 143)], "user",
     "Task stopped by user"),
    ("SpotInterruption", "Your Spot Task was interrupted.", [container("web", 143)],
     "spot-infrastructure", "Your Spot Task was interrupted."),
    ("TerminationNotice", "Host EC2 (instance i-0abc) terminated.", [container("web")],
     "spot-infrastructure", "Host EC2 (instance i-0abc) terminated."),
    ("TaskFailedToStart", "CannotPullContainerError: pull image manifest has been retried",
     [container("web", reason="CannotPullContainerError: ref not found")], "failed-to-start",
     "container 'web': CannotPullContainerError: ref not found"),
    (None, "Something else", [container("web", 0)], "other", "Something else"),
])
def test_causes(stop_code, reason, containers, cause, detail):
    stop = stops.classify(described(task(1, 5, stop_code, reason, containers))[0])
    assert (stop.cause, stop.detail, stop.stop_code, stop.task) == (
        cause, detail, stop_code, task_id(1))
    assert stop.stopped_at == NOW - timedelta(minutes=5)


def test_essential_exit_names_the_essential_container_not_a_sidecar():
    raw = described(task(1, 5, "EssentialContainerExited", "Essential container in task exited",
                         [container("web", 0), container("xray", 1)]))[0]
    assert stops.classify(raw, frozenset({"web"})).detail == "container 'web' exited with code 0"
    assert stops.classify(raw).detail == "container 'xray' exited with code 1"


def test_oom_wins_over_the_health_check_reason():
    stop = stops.classify(described(task(1, 5, "ServiceSchedulerInitiated",
                                         TG_REASON.format("arn:tg"),
                                         [container("web", 137, OOM)]))[0])
    assert stop.cause == "oom"


@pytest.mark.parametrize("message, cause, task", [
    ("(service checkout) (task 0123456789abcdef0123456789abcdef) failed container health "
     "checks.", "container-health-check", "0123456789abcdef0123456789abcdef"),
    ("(service checkout) (task 0123456789abcdef0123456789abcdef) (port 8080) is unhealthy in "
     "(target-group arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/co/1) due "
     "to (reason Request timed out).", "elb-health-check", "0123456789abcdef0123456789abcdef"),
    ("(service checkout) (instance i-0abc) (port 32768) is unhealthy in (target-group "
     "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/co/1) due to (reason "
     "Health checks failed with these codes: [502]).", "elb-health-check", None),
    ("(service checkout) failed to launch a task with (error ECS was unable to assume the "
     "role).", "failed-to-start", None),
    ("(service checkout) has reached a steady state.", None, None),
    ("(service checkout) has started 1 tasks: (task 0123456789abcdef0123456789abcdef).",
     None, None),
])
def test_service_events(message, cause, task):
    stop = stops.classify_event({"id": "e1", "createdAt": NOW, "message": message})
    assert (stop.cause, stop.task, stop.source, stop.detail) == (cause, task, "event", message) \
        if cause else stop is None


# ------------------------------------------------------------------ findings

def service_stops(*items: stops.Stop, cpu=None) -> stops.ServiceStops:
    svc = Service(address=SERVICE, where=Location(SERVICE), name="checkout",
                  cluster=Cluster(address=CLUSTER, where=Location(CLUSTER), name="shop"),
                  max_cpu_utilization=cpu)
    from ecslint.audit.live_model import LiveService
    return stops.ServiceStops(LiveService(svc, "shop"), sorted(items, key=stops.Stop.sort_key))


def elb_stop(n: int, minutes_ago: int, exit_code: int = 0) -> stops.Stop:
    return stops.classify(described(task(n, minutes_ago, "ServiceSchedulerInitiated",
                                         TG_REASON.format("arn:tg"),
                                         [container("web", exit_code)]))[0])


@pytest.mark.parametrize("cpu, tail", [
    (99.2, "maximum CPUUtilization in the window 99.2%: at or near 100% this points to CPU "
           "starvation (health checks time out while the task is pinned at its CPU limit), "
           "not memory; give the task more cpu or scale out on CPU"),
    (42.0, "maximum CPUUtilization in the window 42% (below 90%): not CPU starvation; check "
           "the health-check path, its dependencies and the start-up time against the grace "
           "period"),
    (None, "maximum CPUUtilization in the window unknown (no CloudWatch data), so CPU "
           "starvation cannot be ruled out"),
])
def test_ecs902_says_what_the_cpu_points_to(cpu, tail):
    result = service_stops(elb_stop(1, 30), elb_stop(2, 10), cpu=cpu)
    finding, = stops.findings([result], Options(), "24h")
    when = (NOW - timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert (finding.code, finding.file, finding.line, finding.resource) == (
        "ECS902", SERVICE, None, SERVICE)
    assert finding.message == (
        f"service 'checkout': 2 tasks stopped after failing ELB health checks in the last 24h "
        f"(latest {when}, task {task_id(2)}); {tail}")


def test_ecs902_explains_exit_137_and_counts_events():
    event = stops.classify_event({"id": "e", "createdAt": NOW - timedelta(minutes=50),
                                  "message": "(service checkout) (port 80) is unhealthy in "
                                             "(target-group arn:tg) due to (reason x)."})
    result = service_stops(elb_stop(1, 20, exit_code=137), event, cpu=97.0)
    finding, = stops.findings([result], Options(), "2h")
    assert finding.message.startswith(
        "service 'checkout': 1 task stopped after failing ELB health checks and 1 service "
        "event reported failing ELB health checks in the last 2h (latest ")
    assert finding.message.endswith(
        "; exit code 137 here is SIGKILL after the stop timeout, not an OOM kill")


def test_ecs902_threshold_follows_the_cpu_saturation_option():
    result = service_stops(elb_stop(1, 20), cpu=85.0)
    finding, = stops.findings([result], Options(values={"cpu_saturation": 80.0}), "24h")
    assert "85%: at or near 100% this points to CPU starvation" in finding.message


def test_ecs901_one_finding_per_container():
    oom = [stops.classify(t) for t in described(
        task(1, 40, "EssentialContainerExited", "Essential container in task exited",
             [container("web", 137, OOM)]),
        task(2, 10, "EssentialContainerExited", "Essential container in task exited",
             [container("web", 137, OOM), container("cache", 137, OOM)]))]
    found = stops.findings([service_stops(*oom)], Options(), "24h")
    when = (NOW - timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert [(f.code, f.container, f.message) for f in found] == [
        ("ECS901", "cache", f"service 'checkout': container 'cache' was OOM-killed "
                            f"(OutOfMemoryError) in 1 stopped task in the last 24h (latest "
                            f"{when}, task {task_id(2)}): it reached its memory limit; raise "
                            "the limit or find what grows"),
        ("ECS901", "web", f"service 'checkout': container 'web' was OOM-killed "
                          f"(OutOfMemoryError) in 2 stopped tasks in the last 24h (latest "
                          f"{when}, task {task_id(2)}): it reached its memory limit; raise "
                          "the limit or find what grows")]


# ------------------------------------------------------------------ the whole audit

@pytest.fixture
def moto_rest(monkeypatch):
    """STS, ELB, Application Auto Scaling and CloudWatch in moto; a target group and CPU data."""
    apply_env(monkeypatch, fake_aws_env(None))
    with mock_aws():
        ec2 = boto3.client("ec2", region_name=REGION)
        elb = boto3.client("elbv2", region_name=REGION)
        vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
        subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]][:2]
        lb = elb.create_load_balancer(Name="shop", Subnets=subnets)["LoadBalancers"][0]
        tg = elb.create_target_group(Name="checkout", Protocol="HTTP", Port=8080, VpcId=vpc,
                                     TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
        elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
        boto3.client("cloudwatch", region_name=REGION).put_metric_data(
            Namespace="AWS/ECS", MetricData=[{
                "MetricName": "CPUUtilization", "Value": 98.7, "Unit": "Percent",
                "Timestamp": NOW - timedelta(minutes=15), "Dimensions": [
                    {"Name": "ClusterName", "Value": "shop"},
                    {"Name": "ServiceName", "Value": "checkout"}]}])
        yield tg


def stub_ecs(tg: str) -> tuple[object, Stubber]:
    client = boto3.client("ecs", region_name=REGION)
    stub = Stubber(client)
    stub.add_response("list_clusters", {"clusterArns": [CLUSTER]}, {})
    stub.add_response("describe_clusters", {"clusters": [{
        "clusterArn": CLUSTER, "clusterName": "shop", "status": "ACTIVE",
        "settings": [{"name": "containerInsights", "value": "enhanced"}],
        "capacityProviders": ["FARGATE"]}], "failures": []},
        {"clusters": [CLUSTER], "include": ["SETTINGS", "CONFIGURATIONS"]})
    stub.add_response("list_account_settings", {"settings": [
        {"name": "containerInsights", "value": "enabled",
         "principalArn": "arn:aws:iam::123456789012:root"}]},
        {"name": "containerInsights", "effectiveSettings": True})
    stub.add_response("list_services", {"serviceArns": [SERVICE]}, {"cluster": CLUSTER})
    events = [
        {"id": "e3", "createdAt": NOW - timedelta(minutes=3),
         "message": "(service checkout) has reached a steady state."},
        {"id": "e2", "createdAt": NOW - timedelta(hours=3),
         "message": f"(service checkout) (task {task_id(9)}) failed container health checks."},
        {"id": "e1", "createdAt": NOW - timedelta(hours=30),
         "message": f"(service checkout) (task {task_id(8)}) failed container health checks."},
    ]
    stub.add_response("describe_services", {"services": [{
        "serviceArn": SERVICE, "serviceName": "checkout", "clusterArn": CLUSTER,
        "status": "ACTIVE", "launchType": "FARGATE", "schedulingStrategy": "REPLICA",
        "taskDefinition": TASK_DEF, "healthCheckGracePeriodSeconds": 60,
        "loadBalancers": [{"targetGroupArn": tg, "containerName": "web",
                           "containerPort": 8080}],
        "events": events}], "failures": []},
        {"cluster": CLUSTER, "services": [SERVICE], "include": ["TAGS"]})
    stub.add_response("describe_task_definition", {"taskDefinition": {
        "taskDefinitionArn": TASK_DEF, "family": "checkout", "revision": 7,
        "cpu": "1024", "memory": "2048", "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"], "containerDefinitions": [
            {"name": "web", "image": "example/checkout:7", "essential": True,
             "memory": 1536, "portMappings": [{"containerPort": 8080}]},
            {"name": "exporter", "image": "quay.io/prometheuscommunity/ecs-exporter:v0.4",
             "essential": False, "memoryReservation": 64}]},
        "tags": [{"key": "team", "value": "payments"}]},
        {"taskDefinition": TASK_DEF, "include": ["TAGS"]})
    tasks = [
        task(1, 50, "EssentialContainerExited", "Essential container in task exited",
             [container("exporter", 143), container("web", 137, OOM)]),
        task(2, 20, "ServiceSchedulerInitiated", TG_REASON.format(tg),
             [container("exporter", 0), container("web", 137)]),
        task(3, 5, "ServiceSchedulerInitiated",
             "Scaling activity initiated by (deployment ecs-svc/5050)",
             [container("exporter", 0), container("web", 0)]),
    ]
    arns = [t["taskArn"] for t in tasks]
    # Every service of the cluster is audited: the cluster's stopped tasks are listed once.
    stub.add_response("list_tasks", {"taskArns": arns},
                      {"cluster": CLUSTER, "desiredStatus": "STOPPED"})
    stub.add_response("describe_tasks", {"tasks": tasks, "failures": []},
                      {"cluster": CLUSTER, "tasks": sorted(arns)})
    return client, stub


def test_whole_audit_reports_causes_with_ecs901_and_ecs902(moto_rest):
    tg = moto_rest
    client, stub = stub_ecs(tg)
    with stub:
        report = run_audit(AuditRequest(), Settings(), clients={"ecs": client}, now=NOW)
        stub.assert_no_pending_responses()
    assert [(f.code, f.container) for f in report.findings] == [
        ("ECS302", None), ("ECS901", "web"), ("ECS902", None), ("ECS902", None),
        ("ECS903", None)]
    container_hc, elb_hc = [f.message for f in report.findings if f.code == "ECS902"]
    assert elb_hc.startswith("service 'checkout': 1 task stopped after failing ELB health "
                             "checks in the last 24h")
    assert container_hc.startswith("service 'checkout': 1 service event reported failing "
                                   "container health checks in the last 24h")
    assert "98.7%: at or near 100% this points to CPU starvation" in elb_hc
    ecs901 = next(f.message for f in report.findings if f.code == "ECS901")
    assert "(current revision: container memory 1536 MiB, task memory 2048 MiB)" in ecs901

    t = [(NOW - timedelta(minutes=m)).strftime("%Y-%m-%dT%H:%M:%SZ") for m in (5, 20, 50, 180)]
    doc = json.loads(render(report, "json"))
    assert [(s["task"], s["stopped_at"], s["cause"], s["source"], s["stop_code"])
            for s in doc["stopped_tasks"][0]["stops"]] == [
        (task_id(3), t[0], "deployment-scaling", "task", "ServiceSchedulerInitiated"),
        (task_id(2), t[1], "elb-health-check", "task", "ServiceSchedulerInitiated"),
        (task_id(1), t[2], "oom", "task", "EssentialContainerExited"),
        (task_id(9), t[3], "container-health-check", "event", None)]
    assert doc["stopped_tasks"][0]["stops"][2]["containers"] == [
        {"name": "exporter", "exit_code": 143, "reason": None},
        {"name": "web", "exit_code": 137, "reason": OOM}]
    table = next(s for s in report.sections if s.startswith("Stopped tasks of"))
    assert table.splitlines() == [
        "Stopped tasks of shop/checkout (max CPU 98.7%, max memory no data, max "
        "TargetResponseTime no data (checkout)):",
        "  STOPPED AT            TASK                              CAUSE                         "
        "  DETAIL",
        f"  {t[0]}  {task_id(3)}  deployment/scaling              Scaling activity initiated "
        "by (deployment ecs-svc/5050)",
        f"  {t[1]}  {task_id(2)}  ELB health check                Task failed ELB health "
        f"checks in (target-group {tg}); exit code 137 of container 'web' is SIGKILL after the "
        "stop timeout (it did not exit within the timeout after SIGTERM), not an OOM kill",
        f"  {t[2]}  {task_id(1)}  OOM                             container 'web': {OOM} "
        "(exit 137)",
        f"  {t[3]}  {task_id(9)}  container health check (event)  (service checkout) (task "
        f"{task_id(9)}) failed container health checks."]
