"""`ecslint inspect`: the model the rules see, from exactly the inputs `check` reads."""

from __future__ import annotations

import json

from click.testing import CliRunner

from ecslint.cli import app
from helpers import write

MODULE = {
    "main.tf": '''
        variable "image" {
          type = string
        }
        resource "aws_ecs_task_definition" "app" {
          family                   = "app"
          requires_compatibilities = ["FARGATE"]
          cpu                      = "1 vCPU"
          memory                   = "2 GB"
          container_definitions = jsonencode([{
            name = "app", image = var.image, memory = 1024, essential = true
            environment = [{ name = "MODE", value = "prod" }]
          }])
        }
        resource "aws_ecs_service" "app" {
          name            = "app"
          task_definition = aws_ecs_task_definition.app.arn
        }
    ''',
    "td.json": json.dumps({"family": "batch", "containerDefinitions": [
        {"name": "batch", "image": "batch:1", "memory": 256}]}),
}


def invoke(*args: str):
    return CliRunner().invoke(app, ["inspect", "--no-cache", *args])


def test_json_lists_entities_with_ecs_api_fields(tmp_path):
    write(tmp_path, MODULE)
    result = invoke("--format", "json", str(tmp_path))
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert set(doc) >= {"version", "entities"}
    by_address = {e["address"]: e for e in doc["entities"]}
    td = by_address["aws_ecs_task_definition.app"]
    assert td["kind"] == "task_definition" and td["line"] == 5
    assert td["file"].endswith("main.tf")
    fields = td["fields"]
    assert (fields["cpu"], fields["memory"]) == (1024, 2048)  # "1 vCPU", "2 GB" converted
    (app_container,) = fields["containerDefinitions"]
    assert app_container["image"] == "(unknown)"  # a variable without a value
    assert app_container["memory"] == 1024 and app_container["essential"] is True
    assert app_container["environment"] == [{"name": "MODE", "value": "prod"}]
    service = by_address["aws_ecs_service.app"]["fields"]
    assert service["taskDefinition"] == "aws_ecs_task_definition.app"  # the relation
    assert by_address["batch"]["kind"] == "task_definition"  # the JSON input, as check reads


def test_text_is_a_readable_tree(tmp_path):
    write(tmp_path, MODULE)
    result = invoke(str(tmp_path))
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    head = next(i for i, line in enumerate(lines) if "aws_ecs_task_definition.app" in line)
    assert lines[head].endswith(": task_definition aws_ecs_task_definition.app")
    assert "  memory: 2048" in lines[head + 1:head + 8]
    assert any(line.strip() == "image: (unknown)" for line in lines)


def test_problems_are_said_and_exit_2(tmp_path):
    write(tmp_path, {**MODULE, "broken.tf": "locals {\n  a = = 1\n}\n"})
    result = invoke("--format", "json", str(tmp_path / "broken.tf"))
    assert result.exit_code == 2
    doc = json.loads(result.stdout)
    assert [p["code"] for p in doc["problems"]] == ["ECS001"]
    missing = invoke(str(tmp_path / "nowhere"))
    assert missing.exit_code == 2 and "no such file or directory" in missing.stderr
