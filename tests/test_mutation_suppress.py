"""Suppression cases that mutation testing found unguarded (issue #15): prefix codes and a
suppression above a block with `count` / `for_each` instances."""

from __future__ import annotations

from helpers import lint, write

CLUSTER = 'resource "aws_ecs_cluster" "{name}" {{\n  name = "{name}"\n}}\n'  # fires ECS401


def findings(tmp_path, text: str, extra: dict | None = None):
    write(tmp_path, {"main.tf": text, **(extra or {})})
    return sorted((f.code, f.file.rsplit("/", 1)[-1], f.line, f.resource)
                  for f in lint([tmp_path]).findings)


def test_a_prefix_code_covers_every_code_it_starts(tmp_path):
    text = "# ecslint: ignore[ECS4] no insights in the sandbox\n" + CLUSTER.format(name="a")
    assert findings(tmp_path, text) == []


def test_a_prefix_of_another_code_covers_nothing_and_is_reported_unused(tmp_path):
    text = "# ecslint: ignore[ECS40, ECS3]\n" + CLUSTER.format(name="a")
    # ECS40 covers ECS401; ECS3 covers nothing: ECS002 for it alone
    assert findings(tmp_path, text) == [("ECS002", "main.tf", 1, None)]


def test_a_code_longer_than_the_finding_code_does_not_cover_it(tmp_path):
    text = "# ecslint: ignore[ECS4011]\n" + CLUSTER.format(name="a")
    assert findings(tmp_path, text) == [("ECS002", "main.tf", 1, None),
                                        ("ECS401", "main.tf", 2, "aws_ecs_cluster.a")]


def test_a_suppression_above_a_count_resource_covers_every_instance(tmp_path):
    text = ('# ecslint: ignore[ECS401]\nresource "aws_ecs_cluster" "a" {\n  count = 2\n'
            '  name  = "a${count.index}"\n}\n')
    assert findings(tmp_path, text) == []
    # without the comment both instances fire
    bare = text.split("\n", 1)[1]
    assert findings(tmp_path, bare) == [("ECS401", "main.tf", 1, "aws_ecs_cluster.a[0]"),
                                        ("ECS401", "main.tf", 1, "aws_ecs_cluster.a[1]")]


def test_a_suppression_above_a_for_each_resource_covers_every_instance(tmp_path):
    text = ('# ecslint: ignore[ECS401]\nresource "aws_ecs_cluster" "a" {\n'
            '  for_each = toset(["x", "y"])\n  name     = each.key\n}\n')
    assert findings(tmp_path, text) == []


def test_a_suppression_above_a_count_module_covers_its_instances_resources(tmp_path):
    # the findings are in m/main.tf: only the module's address ties them to the comment
    text = ('# ecslint: ignore[ECS401]\nmodule "m" {\n  source = "./m"\n  count  = 2\n}\n')
    assert findings(tmp_path, text, {"m/main.tf": CLUSTER.format(name="x")}) == []


def test_a_suppression_above_a_for_each_module_covers_its_instances_resources(tmp_path):
    text = ('# ecslint: ignore[ECS401]\nmodule "m" {\n  source   = "./m"\n'
            '  for_each = toset(["a", "b"])\n}\n')
    assert findings(tmp_path, text, {"m/main.tf": CLUSTER.format(name="x")}) == []
    # and it covers only that module: a sibling module's resources still fire
    text += 'module "n" {\n  source = "./m"\n}\n'
    assert findings(tmp_path, text, {"m/main.tf": CLUSTER.format(name="x")}) == [
        ("ECS401", "main.tf", 1, "module.n.aws_ecs_cluster.x")]


def test_a_comment_after_an_even_number_of_quotes_is_a_suppression(tmp_path):
    # four quotes before it (two strings): the comment is outside any string
    text = ('resource "aws_ecs_cluster" "a" {\n  name = "a"\n  tags = { "k" = "v" } '
            '# ecslint: ignore[ECS401]\n}\n')
    # (it covers its own line only: ECS401 is on line 1, so the comment is unused there)
    assert findings(tmp_path, text) == [("ECS002", "main.tf", 3, None),
                                        ("ECS401", "main.tf", 1, "aws_ecs_cluster.a")]
    text = ('resource "aws_ecs_cluster" "a" { # ecslint: ignore[ECS401]\n  name = "a"\n}\n')
    assert findings(tmp_path, text) == []


def test_a_comment_after_code_covers_its_own_line_only(tmp_path):
    text = 'locals { x = 1 } # ecslint: ignore[ECS401]\n' + CLUSTER.format(name="a")
    assert findings(tmp_path, text) == [("ECS002", "main.tf", 1, None),
                                        ("ECS401", "main.tf", 2, "aws_ecs_cluster.a")]
