"""Model-building relations that mutation testing found unguarded (issue #15)."""

from __future__ import annotations

from helpers import lint, load_root, write
from ecslint.sources.build import build

CLUSTERS = '''
resource "aws_ecs_cluster" "prod" {
  name = "prod"
}
resource "aws_ecs_cluster" "staging" {
  name = "staging"
}
'''

SERVICE = '''
resource "aws_ecs_service" "{name}" {{
  name    = "api"
  cluster = aws_ecs_cluster.{cluster}.id
}}
'''

TARGET = '''
resource "aws_appautoscaling_target" "{name}" {{
  service_namespace  = "ecs"
  scalable_dimension = "ecs:service:DesiredCount"
  resource_id        = "service/{cluster}/api"
  min_capacity       = 2
  max_capacity       = 6
}}
'''


def model(tmp_path, text: str):
    write(tmp_path, {"main.tf": text})
    return build(load_root(tmp_path).records)


def test_a_scalable_target_attaches_to_the_service_of_its_own_cluster(tmp_path):
    m = model(tmp_path, CLUSTERS + SERVICE.format(name="prod_api", cluster="prod")
              + SERVICE.format(name="staging_api", cluster="staging")
              + TARGET.format(name="t", cluster="staging"))
    by = {s.address: s for s in m.services}
    assert by["aws_ecs_service.staging_api"].scalable_target.address == \
        "aws_appautoscaling_target.t"
    # same service name, other cluster: not its target
    assert by["aws_ecs_service.prod_api"].scalable_target is None


def test_each_same_named_service_gets_its_own_clusters_target(tmp_path):
    m = model(tmp_path, CLUSTERS + TARGET.format(name="tp", cluster="prod")
              + SERVICE.format(name="prod_api", cluster="prod")
              + SERVICE.format(name="staging_api", cluster="staging")
              + TARGET.format(name="ts", cluster="staging"))
    by = {s.address: s.scalable_target.address for s in m.services}
    assert by == {"aws_ecs_service.prod_api": "aws_appautoscaling_target.tp",
                  "aws_ecs_service.staging_api": "aws_appautoscaling_target.ts"}


def test_a_target_of_another_cluster_leaves_ecs302_firing(tmp_path):
    write(tmp_path, {"main.tf": CLUSTERS + SERVICE.format(name="prod_api", cluster="prod")
                     + TARGET.format(name="t", cluster="staging")})
    assert [(f.code, f.resource) for f in lint([tmp_path]).findings
            if f.code.startswith("ECS30")] == [("ECS302", "aws_ecs_service.prod_api")]


PROVIDER = '''
resource "aws_ecs_capacity_provider" "ec2" {{
  name = "ec2"
  auto_scaling_group_provider {{
    auto_scaling_group_arn = "arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:1:autoScalingGroupName/asg"
{managed}
  }}
}}
resource "aws_ecs_cluster" "main" {{
  name = "main"
}}
resource "aws_ecs_cluster_capacity_providers" "main" {{
  cluster_name       = aws_ecs_cluster.main.name
  capacity_providers = [aws_ecs_capacity_provider.ec2.name]
}}
'''


def test_managed_scaling_without_status_is_enabled(tmp_path):
    # The AWS provider computes `status`; a managed_scaling block without it is ENABLED in
    # AWS (rules/ECS301.md: the rule fires for no managed_scaling or status DISABLED).
    text = PROVIDER.format(managed="    managed_scaling {\n      target_capacity = 90\n    }")
    m = model(tmp_path, text)
    assert m.capacity_providers[0].managed_scaling_status == "ENABLED"
    assert "ECS301" not in [f.code for f in lint([tmp_path]).findings]


def test_managed_scaling_status_is_read_case_insensitively(tmp_path):
    text = PROVIDER.format(managed='    managed_scaling {\n      status = "disabled"\n    }')
    m = model(tmp_path, text)
    assert m.capacity_providers[0].managed_scaling_status == "DISABLED"
    assert "ECS301" in [f.code for f in lint([tmp_path]).findings]


def test_no_managed_scaling_block_is_none_and_fires(tmp_path):
    m = model(tmp_path, PROVIDER.format(managed=""))
    assert m.capacity_providers[0].managed_scaling_status is None
    assert "ECS301" in [f.code for f in lint([tmp_path]).findings]


def test_null_passed_to_a_module_variable_is_null_not_its_default(tmp_path):
    # `terraform console` (1.11.4) on this configuration, with an output
    # `value = var.x == null ? "null" : var.x` in ./m, prints [ "null", "d" ] for
    # [module.m.out, module.n.out]: a nullable variable given null is null.
    write(tmp_path, {
        "m/main.tf": 'variable "x" {\n  default = "d"\n}\n'
                     'resource "test_thing" "t" {\n  v = var.x == null ? "null" : var.x\n}\n',
        "main.tf": 'module "m" {\n  source = "./m"\n  x      = null\n}\n'
                   'module "n" {\n  source = "./m"\n}\n'})
    recs = {r.address: r for r in load_root(tmp_path, frozenset({"test_thing"})).records}
    assert recs["module.m.test_thing.t"].values["v"] == "null"
    assert recs["module.n.test_thing.t"].values["v"] == "d"
