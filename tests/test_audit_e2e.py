"""End to end: the `ecslint audit` command in a subprocess against moto's HTTP server."""

# Peer: moto's server (ThreadedMotoServer on a free 127.0.0.1 port), reached only through
# AWS_ENDPOINT_URL with fake credentials: this is what a user of a local emulator does, and it
# proves the command honours the standard environment (botocore resolves the endpoint, the
# credential chain finds the keys) across a real HTTP boundary.

from __future__ import annotations

import json
import re
import subprocess
import sys

import boto3
import pytest
from moto.server import ThreadedMotoServer

from test_audit_kit import FIXTURES, REGION, ROOT, apply_env, fake_aws_env, free_port, \
    seed_account


@pytest.fixture(scope="module")
def server():
    port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    endpoint = f"http://127.0.0.1:{port}"
    env = fake_aws_env(endpoint)
    try:
        with pytest.MonkeyPatch.context() as monkeypatch:
            apply_env(monkeypatch, env)
            session = boto3.Session(region_name=REGION)
            arns = seed_account(lambda name: session.client(name))
        yield env, arns
    finally:
        moto.stop()


def ecslint_audit(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    # This checkout's ecslint, not whichever one an `ecslint` on PATH was installed from.
    return subprocess.run([sys.executable, "-m", "ecslint", "audit", *args],
                          env={**env, "PYTHONPATH": str(ROOT)}, cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_text_report(server):
    env, arns = server
    done = ecslint_audit(env, "--region", REGION)
    assert (done.returncode, done.stderr) == (1, "")
    lines = done.stdout.splitlines()
    # What was audited first, then the findings, then the tables.
    endpoint = env["AWS_ENDPOINT_URL"]
    assert re.fullmatch(
        rf"Live audit of account 123456789012, region us-east-1, endpoint {endpoint}; window "
        r"24h \(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ to \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\); 1 cluster, "
        r"2 services\.", lines[0])
    assert lines[1] == ""
    target = re.escape("arn:aws:application-autoscaling:us-east-1:123456789012:scalable-target/")
    assert [re.sub(target + r"\w+", "<scalable-target>", line.split(" ", 2)[0] + " "
                   + line.split(" ", 2)[1]) for line in lines[2:18]] == [
        "<scalable-target>: ECS302", "<scalable-target>: ECS303", "<scalable-target>: ECS303",
        f"{arns['asg']}: ECS301",
        "arn:aws:cloudwatch:us-east-1:123456789012:alarm:prod-cpu-reservation: ECS301",
        "arn:aws:ecs:us-east-1:123456789012:capacity-provider/ec2cp: ECS301",
        f"{arns['cluster']}: ECS401", f"{arns['api']}: ECS203", f"{arns['api']}: ECS902",
        f"{arns['api']}: ECS903", f"{arns['worker']}: ECS302", f"{arns['worker']}: ECS904",
        "arn:aws:ecs:us-east-1:123456789012:task-definition/api:1: ECS201",
        "arn:aws:ecs:us-east-1:123456789012:task-definition/api:1: ECS403",
        "arn:aws:ecs:us-east-1:123456789012:task-definition/worker:1: ECS403",
        f"{arns['tg']}: ECS201"]
    task = arns["task"].rsplit("/", 1)[1]
    reason = f"Task failed ELB health checks in (target-group {arns['tg']})"
    source = "AWS/ECS service utilization x task size"
    assert lines[18:] == [
        "",
        "Usage of prod/api against its limits (peaks in the window; limits of revision "
        "api:1):",
        "  CONTAINER  MEMORY PEAK  OF ITS LIMIT                       CPU PEAK     OF ITS SHARE"
        "                   SOURCE",
        "  web        312.3 MiB    61% of 512 MiB (container memory)  254.7 units  99.5% of 256 "
        f"units (task cpu)  {source}",
        "  (task)     312.3 MiB    61% of 512 MiB (task memory)       254.7 units  99.5% of 256 "
        f"units (task cpu)  {source}",
        "  ECS906/ECS907 not verified: no per-container metrics (Container Insights is "
        "disabled on the cluster).",
        "",
        "Stopped tasks of prod/api (max CPU 99.5%, max memory 61%, max TargetResponseTime "
        "4.75 s (api)):",
        "  STOPPED AT  TASK" + " " * 34 + "CAUSE             DETAIL",
        f"  -           {task}  ELB health check  {reason}",
        "",
        "Usage of prod/worker against its limits (peaks in the window; limits of revision "
        "worker:1):",
        "  CONTAINER  MEMORY PEAK  OF ITS LIMIT                       CPU PEAK    OF ITS SHARE"
        "                 SOURCE",
        "  worker     486.4 MiB    95% of 512 MiB (container memory)  51.2 units  20% of 256 "
        f"units (task cpu)  {source}",
        "  (task)     486.4 MiB    95% of 512 MiB (task memory)       51.2 units  20% of 256 "
        f"units (task cpu)  {source}",
        "  ECS906/ECS907 not verified: no per-container metrics (Container Insights is "
        "disabled on the cluster).",
        "",
        "Stopped tasks of prod/worker (max CPU 20%, max memory 95%): none in the window.",
        "",
        "Found 16 findings (6 errors, 10 warnings, 0 info).",
    ]


def test_json_report_with_drift(server):
    env, arns = server
    done = ecslint_audit(env, "--cluster", "prod", "--service", "api", "--since", "6h",
                         "--terraform", str(FIXTURES / "terraform"), "--format", "json",
                         "--select", "ECS9")
    assert (done.returncode, done.stderr) == (1, "")
    doc = json.loads(done.stdout)
    assert [(f["code"], f["file"], f["container"]) for f in doc["findings"]] == [
        ("ECS905", "arn:aws:ecs:us-east-1:123456789012:capacity-provider/ec2cp", None),
        ("ECS905", arns["cluster"], None),
        ("ECS902", arns["api"], None),
        ("ECS903", arns["api"], None),
        ("ECS905", "arn:aws:ecs:us-east-1:123456789012:task-definition/api:1", None),
        ("ECS905", "arn:aws:ecs:us-east-1:123456789012:task-definition/api:1", None),
        ("ECS905", "arn:aws:ecs:us-east-1:123456789012:task-definition/api:1", "web"),
        ("ECS905", arns["tg"], None)]
    assert (doc["audit"]["endpoint"], doc["audit"]["since"], doc["audit"]["services"]) == (
        env["AWS_ENDPOINT_URL"], "6h", ["prod/api"])
    stops, = doc["stopped_tasks"]
    assert [(s["cause"], s["task"]) for s in stops["stops"]] == [
        ("elb-health-check", arns["task"].rsplit("/", 1)[1])]
    assert doc["not_verified"] == []


def test_unknown_cluster_is_a_one_line_error(server):
    env, _ = server
    done = ecslint_audit(env, "--cluster", "staging")
    assert (done.returncode, done.stdout, done.stderr) == (
        2, "", "ecslint: error: cluster not found: staging\n")


def test_check_never_imports_boto3():
    """`ecslint check` is a pre-commit hook: start-up time matters, boto3 is heavy."""
    code = ("import sys\n"
            "from ecslint import cli\n"
            f"sys.argv = ['ecslint', 'check', {str(FIXTURES / 'terraform')!r}]\n"
            "try:\n    cli.main()\nexcept SystemExit as exc:\n    code = exc.code\n"
            "print(code, sorted(m for m in sys.modules if m.split('.')[0] in "
            "('boto3', 'botocore', 'moto') or m.startswith('ecslint.audit')))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env=fake_aws_env())
    assert done.stdout.splitlines()[-1] == "1 []"  # exit 1: the fixture has findings


def test_progress_when_asked_and_the_report_unchanged(server):
    env, _ = server
    runs = [subprocess.run([sys.executable, "-m", "ecslint", "audit", "--format", "json",
                            *extra], env={**env, "PYTHONPATH": str(ROOT)}, cwd=ROOT,
                           capture_output=True, timeout=120) for extra in ([], ["--progress"])]
    plain, asked = runs
    assert plain.stderr == b""  # a pipe: none unless asked
    stderr = asked.stderr.decode()
    assert stderr.startswith("\r\033[Kecslint audit: 0/3 steps, reading the account")
    assert stderr.endswith("\r\033[K")  # erased before the report
    strip = re.compile(r'"window_(start|end)": "[^"]*"')
    assert strip.sub("", asked.stdout.decode()) == strip.sub("", plain.stdout.decode())
