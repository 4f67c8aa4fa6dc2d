"""Each root module is its own configuration: what one root declares never silences or
creates a finding in another, and checking a repository gives each root what checking that
root alone gives (rules.md, top section)."""

from __future__ import annotations

import sys
from pathlib import Path

from helpers import lint, write

REPO = Path(__file__).resolve().parent.parent

SERVICE_MODULE = {
    "modules/svc/main.tf": '''
        variable "name" {}
        variable "start_period" { default = 0 }
        resource "aws_ecs_task_definition" "this" {
          family = var.name
          container_definitions = jsonencode([{
            name = var.name, image = "app:1", memory = 512
            healthCheck = { command = ["CMD", "true"], startPeriod = var.start_period }
          }])
        }
        resource "aws_lb_target_group" "this" {
          name     = var.name
          protocol = "HTTP"
        }
        resource "aws_ecs_service" "this" {
          name                              = var.name
          task_definition                   = aws_ecs_task_definition.this.arn
          health_check_grace_period_seconds = 30
          load_balancer {
            target_group_arn = aws_lb_target_group.this.arn
            container_name   = var.name
            container_port   = 80
          }
        }
    ''',
}
ROOTS = {
    # A scalable target whose resource_id is unknown: it might be this root's service, so
    # ECS302 is silent here, and only here.
    "a/main.tf": '''
        module "service" {
          source = "../modules/svc"
          name   = "a"
        }
        resource "aws_appautoscaling_target" "unknown" {
          service_namespace  = "ecs"
          scalable_dimension = "ecs:service:DesiredCount"
          resource_id        = data.aws_arn.somewhere.id
          min_capacity       = 1
          max_capacity       = 4
        }
        resource "aws_ecs_account_setting_default" "ci" {
          name  = "containerInsights"
          value = "enabled"
        }
        resource "aws_ecs_cluster" "a" {
          name = "a"
        }
    ''',
    # The same module address as root a (module.service...): a service must find its own
    # root's task definition (startPeriod 90 > grace 30: ECS203 here only).
    "b/main.tf": '''
        module "service" {
          source       = "../modules/svc"
          name         = "b"
          start_period = 90
        }
        resource "aws_ecs_cluster" "b" {
          name = "b"
        }
    ''',
}


def findings(report) -> set:
    return {(f.code, Path(f.file).name, f.line, f.resource, f.message) for f in report.findings}


def test_one_root_never_silences_or_creates_findings_in_another(tmp_path):
    write(tmp_path, {**SERVICE_MODULE, **ROOTS})
    whole = lint([tmp_path])
    alone_a, alone_b = lint([tmp_path / "a"]), lint([tmp_path / "b"])
    assert findings(whole) == findings(alone_a) | findings(alone_b)
    codes_b = {f.code for f in alone_b.findings}
    # Root b has no scalable target and no account setting of its own.
    assert "ECS302" in codes_b and "ECS401" in codes_b
    codes_a = {f.code for f in alone_a.findings}
    assert "ECS302" not in codes_a and "ECS401" not in codes_a and "ECS402" in codes_a
    # Each service resolves its own root's task definition.
    ecs203 = [f for f in whole.findings if f.code == "ECS203"]
    assert len(ecs203) == 1 and "startPeriod 90" in ecs203[0].message


def test_a_generated_monorepo_gives_each_root_what_it_gives_alone(tmp_path):
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import corpus
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    corpus.write(str(tmp_path), corpus.generate(120, seed=11))
    whole = findings(lint([tmp_path]))
    roots = sorted({p.parent for p in tmp_path.rglob("*.tf")
                    if "modules" not in p.relative_to(tmp_path).parts})
    alone: set = set()
    for root in roots:
        alone |= findings(lint([root]))
    assert whole == alone
    assert len(whole) >= 5 and len(roots) >= 20
