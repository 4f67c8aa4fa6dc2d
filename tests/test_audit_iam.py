"""Every AWS operation an audit performs is read-only and in the documented IAM policy."""

# Peer: moto in-process, seeded so that every code path of the audit runs (capacity provider,
# Auto Scaling group, alarm and policy, target group and load balancer, scalable target,
# metrics, stopped tasks). Operations are recorded with botocore's own `before-call` event on
# the session the audit uses, so nothing in ecslint can hide a call from the test.

from __future__ import annotations

import boto3
import botocore.session
import pytest
from moto import mock_aws

from ecslint.audit.command import AuditRequest, run_audit
from ecslint.settings import Settings
from test_audit_kit import (DOCS, FIXTURES, NOW, REGION, apply_env, fake_aws_env,
                            iam_policy_from_markdown, policy_actions, seed_account)

# boto3 client names -> IAM service prefixes (CloudWatch signs as `monitoring`).
IAM_PREFIXES = {"ecs": "ecs", "elbv2": "elasticloadbalancing",
                "application-autoscaling": "application-autoscaling",
                "autoscaling": "autoscaling", "cloudwatch": "cloudwatch", "sts": "sts",
                "ec2": "ec2"}


def recorded_actions(request: AuditRequest) -> list[str]:
    core = botocore.session.Session()
    calls: list[str] = []

    def record(model, **_: object) -> None:
        calls.append(f"{IAM_PREFIXES[model.service_model.service_name]}:{model.name}")

    core.register("before-call.*.*", record)
    run_audit(request, Settings(), core=core, now=NOW)
    return calls


@pytest.fixture(scope="module")
def actions():
    with pytest.MonkeyPatch.context() as monkeypatch, mock_aws():
        apply_env(monkeypatch, fake_aws_env(None))
        seed_account(lambda name: boto3.client(name, region_name=REGION))
        yield recorded_actions(AuditRequest(terraform=str(FIXTURES / "terraform"))) \
            + recorded_actions(AuditRequest(clusters=["prod"], services=["api"], since="2h")) \
            + recorded_actions(AuditRequest(all_regions=True, since="1h"))


def test_every_operation_is_a_read(actions):
    assert actions and all(a.split(":")[1].startswith(("Describe", "List", "Get"))
                           for a in actions)


def test_every_operation_is_in_the_documented_policy(actions):
    documented = policy_actions(iam_policy_from_markdown(DOCS))
    assert sorted(set(actions) - documented) == []
    # and the policy asks for nothing the audit does not use
    assert sorted(documented - set(actions)) == []


def test_the_documented_policy_is_read_only_and_unconditional():
    policy = iam_policy_from_markdown(DOCS)
    assert policy["Version"] == "2012-10-17"
    assert [(s["Effect"], s["Resource"]) for s in policy["Statement"]] == [("Allow", "*")]
    assert all(a.split(":")[1].startswith(("Describe", "List", "Get"))
               for a in policy_actions(policy))
