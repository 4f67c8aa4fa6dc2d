"""Time `ecslint audit` against moto's server: N services, serial and concurrent.

Starts `moto_server` on 127.0.0.1 (a separate process, as an emulator would be), seeds N
services (default 500) across a few clusters (task definitions, a target group for every tenth
service, a stopped task for every seventh, Container Insights metrics on the enhanced clusters),
then runs the audit in this process with --max-concurrency 1 and with the default, each
`--runs` times, and prints the AWS calls per operation (counted with botocore's before-call
event), the best wall time of each, and whether the JSON reports are identical.

moto answers in a few milliseconds from one process, so it shows what overlapping the client's
and the server's work gains, not what overlapping network round trips gains. `--latency-ms`
(default 50, 0 to skip) repeats the pair with that much delay added before each request is
sent (botocore's before-send event), which stands for the round trip to a real AWS region.

    python benchmarks/audit_bench.py [--services 500] [--clusters 5] [--runs 2] [--latency-ms 50]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import boto3  # noqa: E402
import botocore.session  # noqa: E402

from ecslint.audit.command import AuditRequest, run_audit  # noqa: E402
from ecslint.audit.pool import DEFAULT_MAX_CONCURRENCY  # noqa: E402
from ecslint.report import render  # noqa: E402
from ecslint.settings import Settings  # noqa: E402

REGION = "us-east-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server() -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = shutil.which("moto_server") or "moto_server"
    proc = subprocess.Popen([command, "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    for _ in range(200):
        try:
            direct.open(f"{endpoint}/moto-api/", timeout=1).close()
            return proc, endpoint
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("moto_server did not start")


def environment(endpoint: str) -> None:
    for key in [k for k in os.environ if k.startswith("AWS_")]:
        del os.environ[key]
    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": REGION, "AWS_ENDPOINT_URL": endpoint,
                       "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE":
                       "/nonexistent", "AWS_EC2_METADATA_DISABLED": "true",
                       "NO_PROXY": "127.0.0.1,localhost"})


def seed(services: int, clusters: int, now: datetime) -> None:
    session = boto3.Session(region_name=REGION)
    ec2, ecs, elb = session.client("ec2"), session.client("ecs"), session.client("elbv2")
    cw = session.client("cloudwatch")
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    subnets = sorted(s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]
                     if s["VpcId"] == vpc)[:2]
    sg = ec2.describe_security_groups()["SecurityGroups"][0]["GroupId"]
    network = {"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [sg]}}
    lb = elb.create_load_balancer(Name="bench", Subnets=subnets)["LoadBalancers"][0]
    for c in range(clusters):
        ecs.create_cluster(clusterName=f"cluster-{c}", settings=[{
            "name": "containerInsights", "value": "enhanced" if c % 2 == 0 else "enabled"}])
    metrics = []
    for i in range(services):
        cluster, name = f"cluster-{i % clusters}", f"svc-{i:04d}"
        ecs.register_task_definition(
            family=name, cpu="256", memory="512", networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"], containerDefinitions=[
                {"name": "app", "image": "example/app:1", "memory": 448, "cpu": 192,
                 "portMappings": [{"containerPort": 8080}]},
                {"name": "log", "image": "example/log:1", "memoryReservation": 32}])
        lbs = []
        if i % 10 == 0:
            tg = elb.create_target_group(Name=f"tg-{i:04d}", Protocol="HTTP", Port=8080,
                                         VpcId=vpc, TargetType="ip")["TargetGroups"][0]
            elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP",
                                Port=10000 + i, DefaultActions=[
                                    {"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
            lbs = [{"targetGroupArn": tg["TargetGroupArn"], "containerName": "app",
                    "containerPort": 8080}]
        ecs.create_service(cluster=cluster, serviceName=name, taskDefinition=name,
                           desiredCount=1, launchType="FARGATE", networkConfiguration=network,
                           loadBalancers=lbs)
        if i % 7 == 0:
            task = ecs.run_task(cluster=cluster, taskDefinition=name, launchType="FARGATE",
                                group=f"service:{name}", networkConfiguration=network)
            ecs.stop_task(cluster=cluster, task=task["tasks"][0]["taskArn"],
                          reason="Scaling activity initiated by (deployment ecs-svc/1)")
        if i % 25 == 0 and (i % clusters) % 2 == 0:  # a few series: moto scans them per query
            dims = [{"Name": "ClusterName", "Value": cluster},
                    {"Name": "ServiceName", "Value": name}, {"Name": "ContainerName",
                                                             "Value": "app"}]
            metrics += [{"MetricName": "ContainerMemoryUtilized", "Dimensions": dims,
                         "Value": 300.0 + i % 150, "Unit": "Megabytes",
                         "Timestamp": now - timedelta(minutes=m)} for m in (40, 20)]
    for start in range(0, len(metrics), 20):
        cw.put_metric_data(Namespace="ECS/ContainerInsights", MetricData=metrics[start:start + 20])


def audit(concurrency: int, now: datetime, latency: float) -> tuple[float, Counter, str]:
    core = botocore.session.Session()
    calls: Counter = Counter()
    lock = threading.Lock()

    def count(model, **_: object) -> None:
        with lock:
            calls[model.name] += 1

    def delay(**_: object) -> None:
        time.sleep(latency)  # the round trip this request would take to a real region

    core.register("before-call.*.*", count)
    if latency:
        core.register("before-send.*.*", delay)
    began = time.perf_counter()
    report = run_audit(AuditRequest(since="1h", max_concurrency=concurrency), Settings(),
                       core=core, now=now)
    took = time.perf_counter() - began
    return took, calls, render(report, "json")


def compare(args: argparse.Namespace, now: datetime, latency_ms: int) -> None:
    results = {}
    for _ in range(args.runs):
        for concurrency in (1, args.concurrency):
            took, calls, doc = audit(concurrency, now, latency_ms / 1000)
            best = results.get(concurrency)
            if best is None or took < best[0]:
                results[concurrency] = (took, calls, doc)
    (serial, serial_calls, serial_doc) = results[1]
    (fast, fast_calls, fast_doc) = results[args.concurrency]
    added = f", {latency_ms} ms added per request" if latency_ms else ", moto as it is"
    print(f"\n== {args.services} services{added}")
    print(f"{'operation':<32}{'serial':>8}{'concurrent':>12}")
    for op in sorted(set(serial_calls) | set(fast_calls)):
        print(f"{op:<32}{serial_calls[op]:>8}{fast_calls[op]:>12}")
    print(f"{'total calls':<32}{sum(serial_calls.values()):>8}{sum(fast_calls.values()):>12}")
    print(f"wall time, best of {args.runs}: serial (--max-concurrency 1) {serial:.2f} s, "
          f"concurrent (--max-concurrency {args.concurrency}) {fast:.2f} s "
          f"({serial / fast:.1f}x)")
    findings = sum(1 for line in serial_doc.splitlines() if '"code": "ECS' in line)
    print(f"same report (JSON, byte for byte): {serial_doc == fast_doc} ({findings} findings)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--services", type=int, default=500)
    parser.add_argument("--clusters", type=int, default=5)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=DEFAULT_MAX_CONCURRENCY)
    parser.add_argument("--latency-ms", type=int, default=50)
    args = parser.parse_args()

    proc, endpoint = start_server()
    try:
        environment(endpoint)
        now = datetime.now(timezone.utc).replace(microsecond=0)
        began = time.perf_counter()
        seed(args.services, args.clusters, now)
        print(f"seeded {args.services} services in {args.clusters} clusters "
              f"({time.perf_counter() - began:.1f} s), moto_server at {endpoint}")
        for latency_ms in dict.fromkeys((0, args.latency_ms)):
            compare(args, now, latency_ms)
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()
