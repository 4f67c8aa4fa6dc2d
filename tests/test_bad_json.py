"""JSON inputs that are hostile or not what they claim: each is ECS001 (or checked without
its bad parts, and said so), never a crash, and the other inputs are still checked."""

from __future__ import annotations

import json

import pytest

from ecslint.sources import jsonpos
from helpers import codes, lint, write
from test_bad_input import GOOD_MODULE, ecs001

PLAN = '{{"format_version": "1.0", "planned_values": {{"root_module": {root}}}}}'
CLUSTER = ('{{"resources": [{{"mode": "managed", "type": "aws_ecs_cluster", '
           '"name": "x", {rest}}}]}}')


def deep(n: int) -> str:
    return "[" * n + "]" * n


@pytest.mark.parametrize("name, text, message", [
    ("td.json", '{"containerDefinitions": ' + deep(1000) + "}",
     "invalid JSON: nested too deeply (more than 256 levels)"),
    ("td.json", '{"containerDefinitions": ' + deep(300) + "}",  # json.loads takes it
     "invalid JSON: nested too deeply (more than 256 levels)"),
    ("plan.json", PLAN.format(root=CLUSTER.format(
        rest='"address": "aws_ecs_cluster.x", "values": {"name": ' + deep(5000) + "}")),
     "invalid JSON: nested too deeply (more than 256 levels)"),
    ("td.json", '{"containerDefinitions": [{"name": "a", "image": "b", "memory": '
     + "9" * 5000 + "}]}", "invalid JSON: number too long"),
    ("td.json", '{"containerDefinitions": [{"name": "a", "image": "b", "memory": NaN}]}',
     "invalid JSON: unexpected character 'N'"),
    ("td.json", '{"containerDefinitions": [{"name": "a", "image": "b", "cpu": -Infinity}]}',
     "invalid JSON: unexpected character '-'"),
    ("td.json", '{"containerDefinitions": [{"name": "\\uzz12", "image": "b"}]}',
     "invalid JSON: invalid \\u escape in a string"),
    ("plan.json", PLAN.format(root='"x"'),
     "plan JSON not as `terraform show -json` writes it (root_module): what those parts "
     "hold was not checked"),
    ("plan.json", PLAN.format(root='{"resources": [5], "child_modules": {}}'),
     "plan JSON not as `terraform show -json` writes it (resources, child_modules): what "
     "those parts hold was not checked"),
    ("plan.json", PLAN.format(root=CLUSTER.format(rest='"values": {}')),
     "plan JSON not as `terraform show -json` writes it (an aws_ecs_cluster entry): what "
     "those parts hold was not checked"),
    ("plan.json", PLAN.format(root=CLUSTER.format(rest='"address": 7, "values": []')),
     "plan JSON not as `terraform show -json` writes it (an aws_ecs_cluster entry): what "
     "those parts hold was not checked"),
])
def test_hostile_json_is_ecs001_and_the_rest_is_checked(tmp_path, name, text, message):
    write(tmp_path / "good", GOOD_MODULE)
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / name).write_text(text)
    report = lint([tmp_path])
    assert ecs001(report) == {name: message}
    assert "ECS401" in codes(report)


def test_a_plan_keeps_its_good_parts():
    """The cluster beside a broken resource entry is still checked (ECS401)."""
    doc = {"format_version": "1.0", "planned_values": {"root_module": {"resources": [
        5, {"mode": "managed", "type": "aws_ecs_cluster", "address": "aws_ecs_cluster.c",
            "name": "c", "values": {"name": "prod"}}]}},
           "resource_changes": [5, {"address": ["x"]}, {"address": "aws_ecs_cluster.c",
                                                        "change": "x"}],
           "configuration": "x"}
    from ecslint.sources import plan

    problems: list = []
    records = plan.records(doc, "plan.json", json.dumps(doc), problems)
    assert [r.address for r in records] == ["aws_ecs_cluster.c"]
    assert len(problems) == 1 and "(resources)" in problems[0].message


@pytest.mark.parametrize("text", [
    '{"family": "t", "requiresCompatibilities": 5, "tags": 7, "containerDefinitions": '
    '[{"name": "a", "image": "b"}]}',
    '{"family": "t", "tags": [{"key": ["x"], "value": 1}], "containerDefinitions": '
    '[{"name": "a", "image": "b", "healthCheck": 5, "environment": "x"}]}',
])
def test_task_definitions_of_the_wrong_types_are_read_as_unknown(tmp_path, text):
    (tmp_path / "td.json").write_text(text)
    report = lint([tmp_path / "td.json"])
    assert not ecs001(report)


def test_a_deep_container_definitions_string_is_unknown(tmp_path):
    write(tmp_path, {"main.tf": '''
        resource "aws_ecs_task_definition" "t" {
          family                = "t"
          container_definitions = "%s"
        }
    ''' % deep(1000)})
    assert not ecs001(lint([tmp_path]))


def test_jsonpos_escapes():
    assert jsonpos.loads(r'"a\u00e9\ud83d\ude00"') == "a\u00e9\U0001f600"
    assert jsonpos.loads(r'"\ud800\u0041"') == "\ud800A"  # a lone surrogate, as json keeps it
    for bad in (r'"\u12"', r'"\u+123"', r'"\u 123"', r'"\u1_23"'):
        with pytest.raises(jsonpos.JsonError, match="invalid"):
            jsonpos.loads(bad)
