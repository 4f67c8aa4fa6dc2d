"""Failure is reported, never hidden: one-line errors (exit 2) and "not verified" parts."""

# Peers: the `ecslint audit` command in a subprocess for the fatal errors (no credentials, bad
# region, a closed loopback port as the endpoint: nothing to emulate, botocore fails by itself);
# moto in-process with IAM authorization switched on (`enable_iam_authentication`) for access
# denied: moto evaluates a real IAM policy document for a real IAM user's keys, so the denied
# calls are the ones the policy does not allow.

from __future__ import annotations

import json
import subprocess
import sys

import boto3
import pytest
from click.testing import CliRunner
from moto import mock_aws
from moto.core.authorization import enable_iam_authentication

from ecslint.audit import AuditError
from ecslint.audit.command import AuditRequest, run_audit
from ecslint.cli import app
from ecslint.report import render
from ecslint.settings import Settings
from test_audit_kit import (CLOSED, DOCS, NOW, REGION, apply_env, fake_aws_env, free_port,
                            iam_policy_from_markdown, policy_actions, seed_account)


def ecslint_audit(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ecslint", "audit", *args], env=env,
                          capture_output=True, text=True, timeout=60)


def no_credentials_env() -> dict[str, str]:
    env = fake_aws_env()
    del env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]
    return env


@pytest.mark.parametrize("args, env, message", [
    ((), no_credentials_env(),
     "no AWS credentials found (environment, shared credentials file, profile, SSO or "
     "instance role); pass --profile or configure them"),
    (("--region", "mars-1"), fake_aws_env(), "unknown AWS region 'mars-1'"),
    ((), {k: v for k, v in fake_aws_env().items() if k != "AWS_DEFAULT_REGION"},
     "no AWS region: pass --region, or set AWS_REGION / AWS_DEFAULT_REGION or a region in the "
     "profile"),
    (("--profile", "prod"), fake_aws_env(), "AWS profile 'prod' not found"),
    ((), fake_aws_env(CLOSED),
     f'cannot reach AWS at {CLOSED}: Could not connect to the endpoint URL: "{CLOSED}/"'),
])
def test_fatal_errors_are_one_line_and_exit_2(args, env, message):
    done = ecslint_audit(*args, env=env)
    assert (done.returncode, done.stdout, done.stderr) == (2, "", f"ecslint: error: {message}\n")


def test_unreachable_endpoint_is_reported_fast():
    """A free (closed) port, one attempt: the error comes at once, not after minutes."""
    endpoint = f"http://127.0.0.1:{free_port()}"
    done = ecslint_audit("--since", "1h", env=fake_aws_env(endpoint))
    assert done.returncode == 2
    assert done.stderr.startswith(f"ecslint: error: cannot reach AWS at {endpoint}: ")


# ------------------------------------------------------------------ access denied (moto IAM)

@pytest.fixture(scope="module")
def account():
    with pytest.MonkeyPatch.context() as monkeypatch, mock_aws():
        apply_env(monkeypatch, fake_aws_env(None))
        arns = seed_account(lambda name: boto3.client(name, region_name=REGION))
        arns["admin"] = run_audit(AuditRequest(), Settings(), now=NOW)
        yield arns


def auditor(monkeypatch: pytest.MonkeyPatch, actions: set[str], name: str) -> None:
    """An IAM user allowed exactly `actions`, whose keys the audit then uses."""
    # moto authorizes CloudWatch under its signing name `monitoring`; IAM uses `cloudwatch`.
    moto_actions = actions | {a.replace("cloudwatch:", "monitoring:") for a in actions}
    iam = boto3.client("iam", region_name=REGION)
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="audit", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": sorted(moto_actions), "Resource": "*"}]}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])


DOCUMENTED = policy_actions(iam_policy_from_markdown(DOCS))


def lost_findings(before: list, after: list, gone: list[tuple[str, str]]) -> bool:
    """`after` is `before` minus exactly the findings `gone` names (code, part of the ARN)."""
    left = [(f.code, f.file) for f in before]
    for f in after:
        left.remove((f.code, f.file))  # nothing new appears
    for code, part in gone:
        hit = next(pair for pair in left if pair[0] == code and part in pair[1])
        left.remove(hit)
    return left == []


def test_the_documented_policy_is_enough(account, monkeypatch):
    auditor(monkeypatch, DOCUMENTED, "auditor-full")
    with enable_iam_authentication():
        report = run_audit(AuditRequest(), Settings(), now=NOW)
    assert report.extra["not_verified"] == [] and report.usage_errors == []
    assert report.findings == account["admin"].findings


@pytest.mark.parametrize("denied, gone, what, calls", [
    ("ecs:DescribeCapacityProviders", [("ECS301", "capacity-provider/ec2cp")],
     "capacity providers ec2cp (ECS301 managed scaling)", 1),
    # Without the task definition the CPU behind the target group's checks is unknown too.
    ("ecs:DescribeTaskDefinition",
     [("ECS201", "task-definition/api:1"), ("ECS403", "task-definition/api:1"),
      ("ECS403", "task-definition/worker:1"), ("ECS201", "targetgroup/api/")],
     "task definition api:1 (ECS1xx, ECS2xx, ECS4xx)", 2),
    ("application-autoscaling:DescribeScalableTargets",
     [("ECS302", "scalable-target/"), ("ECS303", "scalable-target/"),
      ("ECS303", "scalable-target/"), ("ECS302", "service/prod/worker")],
     "service auto scaling targets (ECS302, ECS303)", 1),
    # The observed 99.5% CPU no longer raises ECS201's peak utilization.
    ("cloudwatch:GetMetricData",
     [("ECS903", "service/prod/api"), ("ECS904", "service/prod/worker"),
      ("ECS201", "task-definition/api:1"), ("ECS201", "targetgroup/api/")],
     "CloudWatch metrics of the window: service CPUUtilization/MemoryUtilization, "
     "TargetResponseTime, Container Insights usage (ECS201, ECS902, ECS903, ECS904, ECS906, "
     "ECS907)", 1),
    ("elasticloadbalancing:DescribeTargetGroups", [("ECS201", "targetgroup/api/")],
     "target-group health checks (ECS201, ECS204, ECS905)", 1),
    # Every service of the cluster is audited: its stopped tasks are listed once.
    ("ecs:ListTasks", [("ECS902", "service/prod/api")],
     "stopped tasks of cluster prod (ECS901, ECS902, stop causes)", 1),
])
def test_a_denied_call_is_not_verified_and_the_audit_goes_on(account, monkeypatch, denied,
                                                             gone, what, calls):
    auditor(monkeypatch, DOCUMENTED - {denied}, "auditor-" + denied.replace(":", "-"))
    with enable_iam_authentication():
        report = run_audit(AuditRequest(), Settings(), now=NOW)
    entries = report.extra["not_verified"]
    assert [e["action"] for e in entries] == [denied] * calls
    assert entries[0]["what"] == what
    moto_name = denied.replace("cloudwatch:", "monitoring:")
    assert entries[0]["error"].startswith("AccessDenied: User: arn:aws:iam::123456789012:user/"
                                          "auditor-") and moto_name in entries[0]["error"]
    assert lost_findings(account["admin"].findings, report.findings, gone)
    text = render(report, "concise")
    assert "Not verified (these calls failed, so what they cover was not checked; it is not " \
           f"passing):\n  {denied}: {what}: AccessDenied: " in text
    assert report.usage_errors == [
        "1 AWS call failed (access denied or error): what it covers is not verified; see the "
        "report" if calls == 1 else
        f"{calls} AWS calls failed (access denied or error): what they cover is not verified; "
        "see the report"]


def test_not_verified_stopped_tasks_are_marked_in_the_table(account, monkeypatch):
    auditor(monkeypatch, DOCUMENTED - {"ecs:DescribeTasks"}, "auditor-tasks")
    with enable_iam_authentication():
        report = run_audit(AuditRequest(services=["api"]), Settings(), now=NOW)
    assert report.extra["stopped_tasks"][0]["verified"] is False
    assert next(s for s in report.sections if s.startswith("Stopped tasks of")) == (
        "Stopped tasks of prod/api (max CPU 99.5%, max memory 61%, max TargetResponseTime "
        "4.75 s (api)): NOT VERIFIED: the stopped tasks could not be read (see Not verified).")


def test_nothing_readable_is_not_a_pass(account, monkeypatch):
    auditor(monkeypatch, {"sts:GetCallerIdentity"}, "auditor-nothing")
    with enable_iam_authentication():
        result = CliRunner().invoke(app, ["audit", "--format", "json"])
    assert result.exit_code == 2
    doc = json.loads(result.stdout)
    assert doc["findings"] == [] and doc["audit"]["clusters"] == []
    assert doc["not_verified"] == [{
        "action": "ecs:ListClusters", "what": "the clusters of the account (every check)",
        "error": "AccessDenied: User: arn:aws:iam::123456789012:user/auditor-nothing is not "
                 "authorized to perform: ecs:ListClusters"}]
    assert result.stderr == ("ecslint: error: 1 AWS call failed (access denied or error): what "
                             "it covers is not verified; see the report\n")


def test_credentials_aws_rejects_stop_the_audit(account, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    with enable_iam_authentication(), pytest.raises(AuditError) as caught:
        run_audit(AuditRequest(), Settings(), now=NOW)
    assert str(caught.value) == ("AWS rejected the credentials in us-east-1 "
                                 "(InvalidClientTokenId): The security token included in the "
                                 "request is invalid.")


# ------------------------------------------------------------------ bounded in time

@pytest.fixture()
def silent_endpoint():
    """A loopback endpoint that accepts connections and never answers."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_an_endpoint_that_never_answers_ends_the_audit_quickly(silent_endpoint):
    import time

    env = {k: v for k, v in fake_aws_env(silent_endpoint).items() if k != "AWS_MAX_ATTEMPTS"}
    start = time.monotonic()
    done = ecslint_audit("--read-timeout", "1", "--format", "json", env=env)
    took = time.monotonic() - start
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert took < 15  # 3 attempts of 1 s and their backoff, not 10 attempts
    message = done.stderr.strip().removeprefix("ecslint: error: ")
    assert message.startswith(f"cannot reach AWS at {silent_endpoint}: Read timeout")
    doc = json.loads(done.stdout)  # the JSON document is written, with the error
    assert (doc["findings"], doc["errors"], doc["not_verified"]) == ([], [message], [])


def test_the_deadline_and_the_timeout_retries():
    import time

    from botocore import exceptions as bx

    from ecslint.audit.aws import Aws, Timeouts

    aws = Aws.__new__(Aws)  # only the guards are exercised here
    aws.timeouts = Timeouts(1, 1, 5, time.monotonic())
    aws.endpoint = lambda name="ecs": "http://aws"
    timeout = bx.ReadTimeoutError(endpoint_url="http://aws")
    aws._retry_guard(attempts=2, caught_exception=timeout)  # one more attempt
    with pytest.raises(bx.ReadTimeoutError):
        aws._retry_guard(attempts=3, caught_exception=timeout)
    throttled = bx.ClientError({"Error": {"Code": "ThrottlingException"}}, "ListClusters")
    aws._retry_guard(attempts=9, caught_exception=throttled)  # throttling keeps its retries
    aws.timeouts = Timeouts(1, 1, 5, time.monotonic() - 6)
    with pytest.raises(AuditError, match=r"did not finish within 5 s \(--deadline\)"):
        aws._retry_guard(attempts=1)
    with pytest.raises(AuditError, match="did not finish"):
        aws.check_deadline()


def test_a_fatal_error_says_which_calls_had_failed(monkeypatch):
    from ecslint.audit import command
    from ecslint.audit.aws import NotVerified

    class Session:
        def verification_failures(self):
            return [NotVerified("ecs:ListServices", "services of cluster prod", "AccessDenied")]

    def run(request, settings, window, timeouts, sessions, *rest):
        sessions.append(Session())
        raise AuditError("cannot reach AWS at http://x: boom")

    monkeypatch.setattr(command, "_run", run)
    with pytest.raises(AuditError) as caught:
        run_audit(AuditRequest(), Settings())
    assert caught.value.extra == {"not_verified": [
        {"action": "ecs:ListServices", "what": "services of cluster prod",
         "error": "AccessDenied"}]}


def test_timeouts_must_be_positive():
    with pytest.raises(AuditError, match="must be positive"):
        run_audit(AuditRequest(read_timeout=0), Settings())
