"""Provenance: a finding points at the value the user wrote, in the user's own code, with
the places it passed on the way as related locations (interface.md, Provenance)."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import lint, write

TASK = '''
resource "aws_ecs_task_definition" "app" {
  family                   = "app"
  requires_compatibilities = ["FARGATE"]
  cpu                      = "2048"
  memory                   = var.task_memory
  container_definitions = jsonencode([{
    name = "app", image = "app:1", essential = true, memory = var.container_memory
  }])
}
'''


def ecs103(report):
    (found,) = [f for f in report.findings if f.code == "ECS103"]
    return found


def places(finding) -> list[tuple[str, int, str]]:
    return [(Path(r.file).name, r.line, r.message) for r in finding.related]


def test_a_value_from_a_variable_default_is_located_where_it_was_written(tmp_path):
    write(tmp_path, {"main.tf": TASK, "variables.tf": '''
        variable "task_memory" {
          default = 16384
        }
        variable "container_memory" {
          type    = number
          default = "4096"
        }
    '''})
    f = ecs103(lint([tmp_path]))
    assert (Path(f.file).name, f.line) == ("variables.tf", 7)  # the default "4096"
    assert ("main.tf", 8, "set here") in places(f)  # the container's memory entry
    assert ("variables.tf", 3, "task memory 16384 MiB written here") in places(f)
    assert ("main.tf", 6, "task memory 16384 MiB set here") in places(f)


def test_a_tfvars_value_wins_and_is_the_place(tmp_path):
    write(tmp_path, {"main.tf": TASK, "variables.tf": '''
        variable "task_memory" {}
        variable "container_memory" {}
    ''', "terraform.tfvars": "task_memory      = 16384\ncontainer_memory = 4096\n"})
    f = ecs103(lint([tmp_path]))
    assert (Path(f.file).name, f.line, f.column) == ("terraform.tfvars", 2, 20)
    assert ("terraform.tfvars", 1, "task memory 16384 MiB written here") in places(f)


# Two module levels, the terraform-aws-ecs pattern: the service module builds each container
# through a container-definition module that strips nulls; the user writes memory = 1024.
TWO_LEVELS = {
    "main.tf": '''
        module "service" {
          source      = "./modules/service"
          task_memory = 8192
          containers = {
            app = { image = "app:1", memory = 1024 }
          }
        }
    ''',
    "modules/service/main.tf": '''
        variable "task_memory" { type = number }
        variable "containers" {
          type = map(object({ image = string, memory = optional(number) }))
        }
        module "container" {
          source   = "../container"
          for_each = var.containers
          name     = each.key
          image    = each.value.image
          memory   = each.value.memory
        }
        resource "aws_ecs_task_definition" "this" {
          family                   = "svc"
          requires_compatibilities = ["FARGATE"]
          cpu                      = "1024"
          memory                   = var.task_memory
          container_definitions    = jsonencode([for c in module.container : c.definition])
        }
    ''',
    "modules/container/main.tf": '''
        variable "name" {}
        variable "image" {}
        variable "memory" { default = null }
        locals {
          definition = { name = var.name, image = var.image, memory = var.memory,
                         essential = true, cpu = null }
        }
        output "definition" {
          value = { for k, v in local.definition : k => v if v != null }
        }
    ''',
}


def test_through_two_module_levels_the_finding_is_where_the_user_wrote_the_value(tmp_path):
    write(tmp_path, TWO_LEVELS)
    f = ecs103(lint([tmp_path]))
    assert (Path(f.file).as_posix().endswith("/main.tf"), f.line) == (True, 6)
    assert f.file.endswith("main.tf") and "modules" not in f.file
    notes = places(f)
    assert any(n == "passed to module container as memory" for _f, _l, n in notes)
    assert ("main.tf", 4, "task memory 8192 MiB written here") in notes


def test_a_value_inside_an_installed_module_is_located_at_the_module_call(tmp_path):
    """A value written inside `.terraform/modules` (the user does not own it) is located at
    the `module` call in the user's code."""
    write(tmp_path, {
        "main.tf": '''
            module "svc" {
              source  = "example/ecs-service/aws"
              version = "1.2.0"
            }
        ''',
        ".terraform/modules/modules.json": json.dumps({"Modules": [
            {"Key": "", "Source": "", "Dir": "."},
            {"Key": "svc", "Source": "registry.terraform.io/example/ecs-service/aws",
             "Version": "1.2.0", "Dir": ".terraform/modules/svc"}]}),
        ".terraform/modules/svc/main.tf": '''
            resource "aws_ecs_task_definition" "this" {
              family                   = "svc"
              requires_compatibilities = ["FARGATE"]
              cpu                      = "1024"
              memory                   = "8192"
              container_definitions = jsonencode([{
                name = "app", image = "app:1", essential = true, memory = 2048
              }])
            }
        ''',
    })
    f = ecs103(lint([tmp_path]))
    assert (Path(f.file).name, f.line) == ("main.tf", 2)  # the module "svc" block
    assert f.resource == "module.svc.aws_ecs_task_definition.this"
    assert any(".terraform/modules/svc/main.tf" in r.file for r in f.related)


def test_a_literal_in_its_own_attribute_keeps_the_attribute_as_its_place(tmp_path):
    write(tmp_path, {"main.tf": '''
        resource "aws_ecs_task_definition" "app" {
          family                   = "app"
          requires_compatibilities = ["FARGATE"]
          cpu                      = "2048"
          memory                   = "16384"
          container_definitions = jsonencode([{
            name = "app", image = "app:1", essential = true,
            memory = 4096
          }])
        }
    '''})
    f = ecs103(lint([tmp_path]))
    assert (f.line, f.column) == (9, 5)
    assert places(f) == [("main.tf", 6, "task memory 16384 MiB written here")]


def test_full_format_shows_each_related_location_as_a_note(tmp_path, monkeypatch):
    from ecslint.report import full_format

    write(tmp_path, {"main.tf": TASK, "variables.tf": '''
        variable "task_memory" {}
        variable "container_memory" {}
    ''', "terraform.tfvars": "task_memory      = 16384\ncontainer_memory = 4096\n"})
    monkeypatch.chdir(tmp_path)
    report = lint(["."])
    report.findings = [ecs103(report)]
    lines = full_format.render(report).splitlines()
    at = lines.index(next(ln for ln in lines if "ECS103" in ln))
    assert lines[at].startswith("terraform.tfvars:2:20: ECS103 ")
    notes = [ln for ln in lines[at + 1:] if ln.startswith("    note: ")]
    assert "    note: terraform.tfvars:1:20: task memory 16384 MiB written here" in notes
    assert "    note: main.tf:6:3: task memory 16384 MiB set here" in notes
    assert len(notes) == len(report.findings[0].related)
