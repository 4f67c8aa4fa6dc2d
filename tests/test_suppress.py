"""Inline suppressions: line, line above, whole block, module block; ECS002 when unused."""

from __future__ import annotations

from helpers import lint, write

CLUSTER = 'resource "aws_ecs_cluster" "{name}" {{\n  name = "{name}"\n}}\n'  # fires ECS401


def findings(tmp_path, text: str, extra: dict | None = None):
    write(tmp_path, {"main.tf": text, **(extra or {})})
    return [(f.code, f.line) for f in lint([tmp_path]).findings]


def test_comment_above_a_block_covers_the_whole_block(tmp_path):
    text = "# ecslint: ignore[ECS401] sandbox, metrics not needed\n" + CLUSTER.format(name="a")
    assert findings(tmp_path, text) == []


def test_comment_on_the_line_and_the_line_above(tmp_path):
    text = ('resource "aws_ecs_cluster" "a" {\n  name = "a"\n  setting {\n'
            '    name  = "containerInsights"\n'
            '    value = "enabled" # ecslint: ignore[ECS402] cost\n  }\n}\n'
            'resource "aws_ecs_cluster" "b" {\n  name = "b"\n  setting {\n'
            '    name  = "containerInsights"\n'
            '    // ecslint: ignore[ECS402]\n    value = "enabled"\n  }\n}\n')
    assert findings(tmp_path, text) == []


def test_other_codes_are_not_suppressed_and_unused_codes_are_reported(tmp_path):
    text = "# ecslint: ignore[ECS402, ECS401]\n" + CLUSTER.format(name="a")
    assert findings(tmp_path, text) == [("ECS002", 1)]


def test_unused_suppression(tmp_path):
    text = CLUSTER.format(name="a") + "# ecslint: ignore[ECS303] not here\nlocals {}\n"
    assert findings(tmp_path, text) == [("ECS401", 1), ("ECS002", 4)]


def test_codes_are_required(tmp_path):
    text = "# ecslint: ignore\n" + CLUSTER.format(name="a")
    assert findings(tmp_path, text) == [("ECS401", 2)]


def test_comment_inside_a_string_is_not_a_suppression(tmp_path):
    text = ('locals { s = "# ecslint: ignore[ECS401]" }\n' + CLUSTER.format(name="a"))
    assert findings(tmp_path, text) == [("ECS401", 2)]


def test_comment_above_a_module_block_covers_its_resources(tmp_path):
    text = ('# ecslint: ignore[ECS401] clusters of this module are sandboxes\n'
            'module "m" {\n  source = "./m"\n}\n')
    assert findings(tmp_path, text, {"m/main.tf": CLUSTER.format(name="x")}) == []


def test_ecs002_can_be_ignored(tmp_path):
    from ecslint.settings import Settings

    write(tmp_path, {"main.tf": "# ecslint: ignore[ECS303]\nlocals {}\n"})
    assert lint([tmp_path], Settings(ignore=["ECS002"])).findings == []
