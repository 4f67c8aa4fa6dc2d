"""Shared pieces of the audit tests (safe AWS env, a seeded account, the docs' IAM policy)."""

from __future__ import annotations

import json
import os
import re
import socket
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "README.md"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "audit"
REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account
# Nothing listens on port 9 (discard) of the loopback interface in the test environment.
CLOSED = "http://127.0.0.1:9"

ClientFactory = Callable[[str], Any]


# ------------------------------------------------------------------ environment

def fake_aws_env(endpoint: str | None = CLOSED) -> dict[str, str]:
    """Fake credentials, no config files, no instance metadata, and every request that
    escapes the mock sent to a closed loopback port: a mistake fails, it never leaks."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") and k.lower() not in ("http_proxy", "https_proxy",
                                                            "no_proxy", "all_proxy")}
    env.update({
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION, "AWS_CONFIG_FILE": "/nonexistent/aws-config",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
        "AWS_EC2_METADATA_DISABLED": "true", "AWS_MAX_ATTEMPTS": "1",
        "NO_PROXY": "127.0.0.1,localhost",
    })
    if endpoint is None:
        # moto in-process only intercepts *.amazonaws.com URLs, so the endpoint stays AWS's;
        # a proxy on a closed port makes anything moto does not intercept fail instead.
        env.update({"HTTPS_PROXY": CLOSED, "HTTP_PROXY": CLOSED, "NO_PROXY": ""})
    else:
        env["AWS_ENDPOINT_URL"] = endpoint
    return env


def apply_env(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    for key in list(os.environ):
        if key not in env:
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ------------------------------------------------------------------ IAM policy in the docs

def iam_policy_from_markdown(path: Path, heading: str = "## Live audit") -> dict:
    """The first ```json block under `heading` (before the next heading of its level)."""
    text = path.read_text(encoding="utf-8")
    level = heading.split(" ", 1)[0]
    start = text.find(f"\n{heading}\n")
    if not text.startswith(heading + "\n") and start < 0:
        raise LookupError(f"{path}: no heading {heading!r}")
    body = text[start + 1 if start >= 0 else 0:]
    end = re.search(rf"\n{re.escape(level)} ", body[len(heading):])
    section = body[:len(heading) + end.start()] if end else body
    block = re.search(r"```json\n(.*?)\n```", section, re.S)
    if block is None:
        raise LookupError(f"{path}: no ```json block under {heading!r}")
    return json.loads(block.group(1))


def policy_actions(policy: dict) -> set[str]:
    actions: set[str] = set()
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        listed = statement["Action"]
        actions.update([listed] if isinstance(listed, str) else listed)
    return actions


# ------------------------------------------------------------------ a seeded account

NOW = datetime.now(timezone.utc).replace(microsecond=0)
ELB_REASON = "Task failed ELB health checks in (target-group {})"


def seed_account(client: ClientFactory) -> dict[str, str]:
    """One cluster with most things wrong, as an SRE finds it after an incident.

    prod: Container Insights disabled; capacity provider `ec2cp` with managed scaling
    DISABLED on Auto Scaling group `ecs-asg`, which suspends Launch; a CPUReservation alarm
    with actions disabled. Service `api` (Fargate, 0.25 vCPU, behind target group `api`,
    no grace period, scalable target 1..1 with scale-out suspended, no policy) ran at 99.5%
    CPU and lost a task to ELB health checks. Service `worker` (no auto scaling) peaked at
    95% memory. Returns the ARNs tests refer to.
    """
    ec2, ecs, asg = client("ec2"), client("ecs"), client("autoscaling")
    elb, aas, cw = client("elbv2"), client("application-autoscaling"), client("cloudwatch")
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    subnets = sorted(s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]
                     if s["VpcId"] == vpc)[:2]
    sg = ec2.describe_security_groups()["SecurityGroups"][0]["GroupId"]
    network = {"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [sg]}}

    ec2.create_launch_template(LaunchTemplateName="ecs-hosts", LaunchTemplateData={
        "ImageId": "ami-12c6146b", "InstanceType": "t3.small"})
    asg.create_auto_scaling_group(AutoScalingGroupName="ecs-asg", MinSize=0, MaxSize=2,
                                  LaunchTemplate={"LaunchTemplateName": "ecs-hosts"},
                                  VPCZoneIdentifier=subnets[0])
    asg.suspend_processes(AutoScalingGroupName="ecs-asg", ScalingProcesses=["Launch"])
    asg_arn = asg.describe_auto_scaling_groups()["AutoScalingGroups"][0]["AutoScalingGroupARN"]
    asg.put_scaling_policy(AutoScalingGroupName="ecs-asg", PolicyName="scale-out",
                           AdjustmentType="ChangeInCapacity", ScalingAdjustment=1)
    policy_arn = asg.describe_policies()["ScalingPolicies"][0]["PolicyARN"]
    ecs.create_capacity_provider(name="ec2cp", autoScalingGroupProvider={
        "autoScalingGroupArn": asg_arn, "managedScaling": {"status": "DISABLED"}})
    cluster = ecs.create_cluster(
        clusterName="prod", settings=[{"name": "containerInsights", "value": "disabled"}],
        capacityProviders=["ec2cp"],
        defaultCapacityProviderStrategy=[{"capacityProvider": "ec2cp", "weight": 1}],
    )["cluster"]["clusterArn"]
    cw.put_metric_alarm(AlarmName="prod-cpu-reservation", Namespace="AWS/ECS",
                        MetricName="CPUReservation", Statistic="Maximum", Period=60,
                        Dimensions=[{"Name": "ClusterName", "Value": "prod"}],
                        EvaluationPeriods=1, Threshold=75,
                        ComparisonOperator="GreaterThanThreshold", ActionsEnabled=False,
                        AlarmActions=[policy_arn])

    lb = elb.create_load_balancer(Name="public", Subnets=subnets, Type="application")
    lb_arn = lb["LoadBalancers"][0]["LoadBalancerArn"]
    tg_arn = elb.create_target_group(
        Name="api", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="ip",
        HealthCheckIntervalSeconds=30, HealthCheckTimeoutSeconds=5,
        HealthyThresholdCount=3, UnhealthyThresholdCount=2)["TargetGroups"][0]["TargetGroupArn"]
    elb.create_listener(LoadBalancerArn=lb_arn, Protocol="HTTP", Port=80, DefaultActions=[
        {"Type": "forward", "TargetGroupArn": tg_arn}])

    for family, container in (
            ("api", {"name": "web", "image": "example/api:1.4", "memory": 512,
                     "portMappings": [{"containerPort": 8080}],
                     "healthCheck": {"command": ["CMD-SHELL", "curl -f localhost:8080/health"],
                                     "interval": 30, "timeout": 5, "retries": 3}}),
            ("worker", {"name": "worker", "image": "example/worker:2.0", "memory": 512})):
        ecs.register_task_definition(family=family, cpu="256", memory="512",
                                     networkMode="awsvpc", requiresCompatibilities=["FARGATE"],
                                     containerDefinitions=[container])
    api = ecs.create_service(
        cluster="prod", serviceName="api", taskDefinition="api", desiredCount=2,
        launchType="FARGATE", networkConfiguration=network, healthCheckGracePeriodSeconds=0,
        loadBalancers=[{"targetGroupArn": tg_arn, "containerName": "web",
                        "containerPort": 8080}])["service"]["serviceArn"]
    worker = ecs.create_service(
        cluster="prod", serviceName="worker", taskDefinition="worker", desiredCount=1,
        launchType="FARGATE", networkConfiguration=network)["service"]["serviceArn"]
    aas.register_scalable_target(
        ServiceNamespace="ecs", ResourceId="service/prod/api",
        ScalableDimension="ecs:service:DesiredCount", MinCapacity=1, MaxCapacity=1,
        SuspendedState={"DynamicScalingOutSuspended": True})

    task = ecs.run_task(cluster="prod", taskDefinition="api", launchType="FARGATE",
                        group="service:api", networkConfiguration=network)["tasks"][0]
    ecs.stop_task(cluster="prod", task=task["taskArn"], reason=ELB_REASON.format(tg_arn))

    def series(service: str, metric: str, peak: float) -> list[dict]:
        dims = [{"Name": "ClusterName", "Value": "prod"}, {"Name": "ServiceName", "Value": service}]
        return [{"MetricName": metric, "Dimensions": dims, "Value": value, "Unit": "Percent",
                 "Timestamp": NOW - timedelta(minutes=minutes)}
                for minutes, value in ((50, peak / 2), (30, peak), (10, peak * 0.6))]
    cw.put_metric_data(Namespace="AWS/ECS", MetricData=series("api", "CPUUtilization", 99.5)
                       + series("api", "MemoryUtilization", 61.0)
                       + series("worker", "CPUUtilization", 20.0)
                       + series("worker", "MemoryUtilization", 95.0))
    cw.put_metric_data(Namespace="AWS/ApplicationELB", MetricData=[{
        "MetricName": "TargetResponseTime", "Value": 4.75, "Unit": "Seconds",
        "Timestamp": NOW - timedelta(minutes=30), "Dimensions": [
            {"Name": "LoadBalancer", "Value": lb_arn.split(":loadbalancer/")[1]},
            {"Name": "TargetGroup", "Value": tg_arn.rsplit(":", 1)[1]}]}])
    return {"cluster": cluster, "api": api, "worker": worker, "tg": tg_arn, "lb": lb_arn,
            "asg": asg_arn, "policy": policy_arn, "task": task["taskArn"]}


# ------------------------------------------------------------------ tests of the kit

def test_fake_env_points_every_request_at_loopback():
    env = fake_aws_env()
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:9"
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]) == ("testing", "testing")
    assert "AWS_PROFILE" not in env and "AWS_SESSION_TOKEN" not in env
    in_process = fake_aws_env(None)
    assert "AWS_ENDPOINT_URL" not in in_process
    assert (in_process["HTTPS_PROXY"], in_process["HTTP_PROXY"]) == (CLOSED, CLOSED)


def test_policy_block_is_found_under_its_heading(tmp_path):
    doc = tmp_path / "README.md"
    doc.write_text("# ecslint\n\n```json\n{\"not\": \"this\"}\n```\n\n## Live audit\n\ntext\n\n"
                   "```json\n{\"Version\": \"2012-10-17\", \"Statement\": []}\n```\n\n"
                   "## Other\n\n```json\n{}\n```\n")
    assert iam_policy_from_markdown(doc) == {"Version": "2012-10-17", "Statement": []}
    with pytest.raises(LookupError):
        iam_policy_from_markdown(doc, "## Missing")
    (tmp_path / "empty.md").write_text("## Live audit\n\nno block\n\n## Next\n\n```json\n{}\n```\n")
    with pytest.raises(LookupError):
        iam_policy_from_markdown(tmp_path / "empty.md")
