"""The two incidents that started ecslint, seeded in moto with Container Insights metrics.

1. Cluster `shop` (Container Insights enhanced): service `api`, a 256-CPU container `web` in a
   0.25 vCPU Fargate task behind an ALB target group (5 s health-check timeout), peaked at
   253.4 CPU units (99% of its share); one task was stopped for failing its ELB health checks,
   exit 137 after the stop timeout.
2. Cluster `reports` (enhanced): service `report`, container `app` with a hard memory of 4096
   MiB in a 16 GiB Fargate task, peaked at 4000 MiB; one task was OOM-killed.

moto's CloudWatch keeps what put_metric_data is given and answers GetMetricData from it. moto has
no stop times, stop codes or container exit reasons: the seed sets them on moto's own task
objects, which works in-process and with ThreadedMotoServer (the same process).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Callable

from test_audit_kit import ACCOUNT, NOW, REGION

ClientFactory = Callable[[str], Any]
OOM = "OutOfMemoryError: Container killed due to memory usage"
INSIGHTS = "ECS/ContainerInsights"

# (minutes ago, value) of the seeded series
API_CPU = [(80, 96.0), (60, 140.5), (45, 212.0), (35, 253.4), (30, 251.0), (12, 150.0)]
API_MEMORY = [(80, 180.0), (60, 204.0), (45, 251.0), (35, 262.5), (30, 259.0), (12, 231.0)]
REPORT_MEMORY = [(100, 2480.0), (80, 3120.0), (65, 3660.0), (50, 4000.0), (44, 3987.0)]
REPORT_CPU = [(100, 410.0), (80, 520.0), (65, 640.0), (50, 700.0), (44, 690.0)]
API_STOP_MINUTES, REPORT_STOP_MINUTES = 28, 43


def at(minutes: int) -> datetime:
    return NOW - timedelta(minutes=minutes)


def series(points: list[tuple[int, float]]) -> list[tuple[datetime, float]]:
    return [(at(m), v) for m, v in points]


def _put(cw: Any, metric: str, dims: dict[str, str], points: list[tuple[int, float]],
         unit: str, namespace: str = INSIGHTS) -> None:
    cw.put_metric_data(Namespace=namespace, MetricData=[
        {"MetricName": metric, "Value": v, "Unit": unit, "Timestamp": at(m),
         "Dimensions": [{"Name": k, "Value": x} for k, x in dims.items()]}
        for m, v in points])


def _stop(ecs: Any, cluster: str, task_arn: str, reason: str, minutes: int, code: str,
          exit_code: int, container_reason: str | None = None) -> None:
    from moto.ecs.models import ecs_backends

    ecs.stop_task(cluster=cluster, task=task_arn, reason=reason)
    for task in ecs_backends[ACCOUNT][REGION].tasks[cluster].values():
        if task.task_arn == task_arn:
            task.stopped_at, task.stop_code = at(minutes), code
            task.containers[0].exitCode = exit_code
            if container_reason:
                task.containers[0].reason = container_reason


def seed_incidents(client: ClientFactory) -> dict[str, Any]:
    ec2, ecs, elb, cw = client("ec2"), client("ecs"), client("elbv2"), client("cloudwatch")
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    subnets = sorted(s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]
                     if s["VpcId"] == vpc)[:2]
    sg = ec2.describe_security_groups()["SecurityGroups"][0]["GroupId"]
    network = {"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [sg]}}
    enhanced = [{"name": "containerInsights", "value": "enhanced"}]

    # Incident 1: CPU-starved container behind an ALB.
    ecs.create_cluster(clusterName="shop", settings=enhanced)
    lb_arn = elb.create_load_balancer(Name="shop", Subnets=subnets, Type="application")[
        "LoadBalancers"][0]["LoadBalancerArn"]
    tg_arn = elb.create_target_group(
        Name="shop-api", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="ip",
        HealthCheckIntervalSeconds=30, HealthCheckTimeoutSeconds=5,
        HealthyThresholdCount=3, UnhealthyThresholdCount=2)["TargetGroups"][0]["TargetGroupArn"]
    elb.create_listener(LoadBalancerArn=lb_arn, Protocol="HTTP", Port=80, DefaultActions=[
        {"Type": "forward", "TargetGroupArn": tg_arn}])
    ecs.register_task_definition(
        family="api", cpu="256", memory="512", networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"], containerDefinitions=[{
            "name": "web", "image": "example/api:1.4", "cpu": 256, "memoryReservation": 256,
            "portMappings": [{"containerPort": 8080}]}])
    api = ecs.create_service(
        cluster="shop", serviceName="api", taskDefinition="api", desiredCount=2,
        launchType="FARGATE", networkConfiguration=network, healthCheckGracePeriodSeconds=60,
        loadBalancers=[{"targetGroupArn": tg_arn, "containerName": "web",
                        "containerPort": 8080}])["service"]["serviceArn"]
    api_task = ecs.run_task(cluster="shop", taskDefinition="api", launchType="FARGATE",
                            group="service:api", networkConfiguration=network)["tasks"][0]
    _stop(ecs, "shop", api_task["taskArn"],
          f"Task failed ELB health checks in (target-group {tg_arn})", API_STOP_MINUTES,
          "ServiceSchedulerInitiated", 137)
    api_id = api_task["taskArn"].rsplit("/", 1)[1]

    # Incident 2: a container limit far below its task's memory.
    ecs.create_cluster(clusterName="reports", settings=enhanced)
    ecs.register_task_definition(
        family="report", cpu="4096", memory="16384", networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"], containerDefinitions=[{
            "name": "app", "image": "example/report:3", "memory": 4096}])
    report = ecs.create_service(
        cluster="reports", serviceName="report", taskDefinition="report", desiredCount=1,
        launchType="FARGATE", networkConfiguration=network)["service"]["serviceArn"]
    report_task = ecs.run_task(cluster="reports", taskDefinition="report", launchType="FARGATE",
                               group="service:report", networkConfiguration=network)["tasks"][0]
    _stop(ecs, "reports", report_task["taskArn"], "Essential container in task exited",
          REPORT_STOP_MINUTES, "EssentialContainerExited", 137, OOM)
    report_id = report_task["taskArn"].rsplit("/", 1)[1]

    for cluster, svc, container, task_id, memory, cpu in (
            ("shop", "api", "web", api_id, API_MEMORY, API_CPU),
            ("reports", "report", "app", report_id, REPORT_MEMORY, REPORT_CPU)):
        dims = {"ClusterName": cluster, "ServiceName": svc}
        for extra in ({}, {"TaskId": task_id}):
            _put(cw, "ContainerMemoryUtilized", {**dims, **extra, "ContainerName": container},
                 memory, "Megabytes")
            _put(cw, "ContainerCpuUtilized", {**dims, **extra, "ContainerName": container},
                 cpu, "None")
            _put(cw, "MemoryUtilized", {**dims, **extra}, memory, "Megabytes")
            _put(cw, "CpuUtilized", {**dims, **extra}, cpu, "None")
    _put(cw, "CPUUtilization", {"ClusterName": "shop", "ServiceName": "api"},
         [(m, round(v / 256 * 100, 1)) for m, v in API_CPU], "Percent", "AWS/ECS")
    _put(cw, "MemoryUtilization", {"ClusterName": "reports", "ServiceName": "report"},
         [(m, round(v / 16384 * 100, 1)) for m, v in REPORT_MEMORY], "Percent", "AWS/ECS")
    return {"api": api, "report": report, "tg": tg_arn, "lb": lb_arn, "api_task": api_id,
            "report_task": report_id}
