"""ECS905: what tests/fixtures/audit/terraform declares against the live account."""

# Peer: moto in-process for the account (the seeded one of test_audit_kit); the Terraform side
# is the static pipeline (TerraformReader + build) on the fixture.

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from ecslint.audit import drift
from ecslint.audit.aws import open_session
from ecslint.audit.command import AuditRequest, run_audit
from ecslint.audit.live_model import read_account
from ecslint.engine import display_path
from ecslint.settings import Settings
from test_audit_kit import FIXTURES, NOW, REGION, ROOT, apply_env, fake_aws_env, seed_account

TF = "tests/fixtures/audit/terraform/main.tf"


@pytest.fixture(scope="module")
def account():
    with pytest.MonkeyPatch.context() as monkeypatch, mock_aws():
        apply_env(monkeypatch, fake_aws_env(None))
        monkeypatch.chdir(ROOT)  # locations in messages are relative to the working directory
        yield seed_account(lambda name: boto3.client(name, region_name=REGION))


def test_declared_settings_that_differ_are_reported_on_the_live_resource(account):
    report = run_audit(AuditRequest(terraform=str(FIXTURES / "terraform")),
                       Settings(select=["ECS905", "ECS001"]), now=NOW)
    cp = "arn:aws:ecs:us-east-1:123456789012:capacity-provider/ec2cp"
    api = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:1"
    worker = "arn:aws:ecs:us-east-1:123456789012:task-definition/worker:1"
    assert [(f.code, f.file, f.line, f.container, f.message) for f in report.findings] == [
        ("ECS905", cp, None, None,
         f"capacity provider 'ec2cp': Terraform declares managed_scaling.status = \"ENABLED\" "
         f"({TF}:31) but the live value is \"DISABLED\""),
        ("ECS905", account["cluster"], None, None,
         f"cluster 'prod': Terraform declares containerInsights = \"enhanced\" ({TF}:13) but "
         "the live value is \"disabled\""),
        ("ECS905", api, None, None,
         f"task definition 'api' (current revision): Terraform declares cpu = 512 ({TF}:53) "
         "but the live value is 256"),
        ("ECS905", api, None, None,
         f"task definition 'api' (current revision): Terraform declares memory = 1024 "
         f"({TF}:54) but the live value is 512"),
        ("ECS905", api, None, "web",
         f"task definition 'api' (current revision) container 'web': Terraform declares "
         f"healthCheck.retries = 5 ({TF}:66) but the live value is 3"),
        ("ECS905", worker, None, "worker",
         f"task definition 'worker' (current revision) container 'worker': Terraform declares "
         f"a healthCheck ({TF}:81) but the live revision has none"),
        ("ECS905", account["tg"], None, None,
         f"target group 'api': Terraform declares health_check.timeout = 10 ({TF}:47) but the "
         "live value is 5"),
    ]


def test_only_settings_the_configuration_knows_are_compared(account, tmp_path):
    # Same names, nothing declared (no setting, no managed_scaling, no health_check, unknown
    # cpu/memory): nothing to compare, nothing reported.
    (tmp_path / "main.tf").write_text('''
variable "cpu" { type = string }
resource "aws_ecs_cluster" "prod" { name = "prod" }
resource "aws_ecs_capacity_provider" "ec2" {
  name = "ec2cp"
  auto_scaling_group_provider { auto_scaling_group_arn = "arn:aws:autoscaling:x" }
}
resource "aws_lb_target_group" "api" {
  name     = "api"
  port     = 8080
  protocol = "HTTP"
}
resource "aws_ecs_task_definition" "api" {
  family                = "api"
  cpu                   = var.cpu
  container_definitions = jsonencode([{ name = "web", image = "example/api:1.4" }])
}
''')
    config, problems = drift.read_configuration(str(tmp_path))
    live = read_account(open_session(None, None), [], [])
    assert (problems, drift.findings(config, live)) == ([], [])


def test_terraform_that_cannot_be_parsed_is_ecs001(account, tmp_path):
    (tmp_path / "main.tf").write_text('resource "aws_ecs_cluster" "prod" {\n  name = \n')
    report = run_audit(AuditRequest(terraform=str(tmp_path)), Settings(select=["ECS0", "ECS9"]),
                       now=NOW)
    assert [(f.code, f.file, f.line) for f in report.findings if f.code == "ECS001"] == [
        ("ECS001", display_path(str(tmp_path / "main.tf")), 2)]


def test_a_directory_without_terraform_is_an_error(account, tmp_path):
    from ecslint.audit import AuditError
    with pytest.raises(AuditError) as caught:
        run_audit(AuditRequest(terraform=str(tmp_path)), Settings(), now=NOW)
    assert str(caught.value) == f"--terraform {tmp_path}: no Terraform files found"
