"""The evaluator asks the root's budget (ecslint.limits.Budget) before it builds something
large: a function result, a for expression, a template loop, a huge number. Past a limit the
value is unknown and an ECS001 note says so at the expression; the run stays fast and the
other modules are checked."""

from __future__ import annotations

import time

import pytest

from ecslint.sources.hcl import functions
from ecslint.limits import Budget, Limits
from helpers import lint
from test_bad_input import ecs001
from test_containment import good_kept, two_modules

TAIL = "; treated as unknown, so what depends on it is not checked"


def checked(tmp_path, name_expr: str, extra: str = "") -> tuple[dict[str, str], object]:
    """A cluster whose name is `name_expr` (evaluated: the resource is ECS), next to a good
    module; the ECS001 notes by file, and the report."""
    two_modules(tmp_path, {"main.tf": f'''
resource "aws_ecs_cluster" "x" {{
  name = {name_expr}
}}
{extra}'''})
    start = time.monotonic()
    report = lint([tmp_path])
    assert time.monotonic() - start < 60  # a guard against a hang, not a speed target
    return ecs001(report), report


# Each expression is refused by the budget before it is built; the note names the limit.
@pytest.mark.parametrize("expr, message", [
    # (range() itself stops at 1,024 values, as Terraform's: longer lists are built here.)
    ("length(flatten([[for a in range(10) : range(1000)], [0]]))",
     "flatten(): 10,001 elements, more than the limit of 10,000 (ECSLINT_MAX_COLLECTION)"),
    ("format(\"%999999999d\", 1)",
     "format(): 1,000,000,010 characters, more than the limit of 4 MiB (ECSLINT_MAX_STRING)"),
    ("join(\"\", [for i in range(1000) : format(\"%5000s\", \"x\")])",
     "join(): 5,000,000 characters, more than the limit of 4 MiB (ECSLINT_MAX_STRING)"),
    ("replace(format(\"%4000s\", \"\"), \" \", format(\"%2000s\", \"\"))",
     "replace(): 8,000,000 characters, more than the limit of 4 MiB (ECSLINT_MAX_STRING)"),
    ("length(concat(flatten([for a in range(6) : range(1000)]), "
     "flatten([for a in range(6) : range(1000)])))",
     "concat(): 12,000 elements, more than the limit of 10,000 (ECSLINT_MAX_COLLECTION)"),
    # 1,000 x 1,000 x 1,000 loops (range() builds them, the for expressions walk them): the
    # root's steps run out within the third outer one (both inner loops say so).
    ("length([for a in range(1000) : [for b in range(1000) : [for c in range(1000) : c]]])",
     "range(): evaluating this module took more than 2,000,000 steps (ECSLINT_MAX_STEPS)"),
    ("1e999999999", "a number with an exponent over 10,000"),
    ("1" + "0" * 5000, "a number of 5,001 digits"),
    ("\"%{ if true }open\"", "unclosed %{if} or %{for}"),
    ("\"\\uZZZZ\"", "invalid \\u or \\U escape"),
    ("\"\\U00110000\"", "invalid \\u or \\U escape"),
])
def test_a_value_past_the_budget_is_unknown_with_a_note(tmp_path, expr, message):
    notes, report = checked(tmp_path, expr)
    assert notes == {"main.tf": message + TAIL}
    found = [f for f in report.findings if f.code == "ECS001"]
    # At the expression, in the user's file: once, or (steps) at each loop that ran out.
    assert found and {(f.line, f.message) for f in found} == {(3, message + TAIL)}
    assert len(found) == 1 or "STEPS" in message
    assert good_kept(report)


def test_shared_values_cannot_make_jsonencode_or_flatten_exponential(tmp_path):
    # Each local holds the one before four times: a12 has 4**12 (16.7 million) leaves
    # while its locals hold a few dozen values.
    chain = "\n".join(f"  a{i} = [local.a{i - 1}, local.a{i - 1}, local.a{i - 1}, "
                      f"local.a{i - 1}]" for i in range(1, 13))
    extra = f'''
locals {{
  a0 = ["x"]
{chain}
}}
resource "aws_ecs_cluster" "y" {{
  name = length(flatten(local.a12))
}}
'''
    notes, report = checked(tmp_path, "jsonencode(local.a12)", extra)
    (flat,) = [f.message for f in report.findings if f.code == "ECS001" and f.line == 22]
    (enc,) = [f.message for f in report.findings if f.code == "ECS001" and f.line == 3]
    assert flat == "flatten(): 10,001 elements, more than the limit of 10,000 " \
                   "(ECSLINT_MAX_COLLECTION)" + TAIL
    assert enc.startswith("jsonencode(): evaluating this module took more than 2,000,000 "
                          "steps")
    assert good_kept(report)


def test_a_range_past_terraforms_limit_is_an_error_not_a_budget_note(tmp_path):
    """range() fails past 1,024 values in Terraform (`terraform console`: "more than 1024
    values were generated"): the value is unknown, as any error's, and no limit of ours is
    named."""
    notes, report = checked(tmp_path, '''<<-EOT
    %{ for i in range(1025) }${i}%{ endfor }
  EOT''')
    assert notes == {}
    assert good_kept(report)


def test_a_template_loop_over_a_long_list_is_refused_by_the_loop(tmp_path, monkeypatch):
    monkeypatch.setenv("ECSLINT_MAX_COLLECTION", "3")
    notes, report = checked(tmp_path, '"%{ for s in split(",", "a,b,c,d") }${s}%{ endfor }"')
    assert notes == {"main.tf": "template %{ for }: 4 elements, more than the limit of 3 "
                                "(ECSLINT_MAX_COLLECTION)" + TAIL}
    # Exactly at the limit, the loop runs.
    notes, report = checked(tmp_path, '"%{ for s in split(",", "a,b,c") }${s}%{ endfor }"')
    assert notes == {}


def test_a_product_too_large_is_unknown_with_a_note(tmp_path):
    # 2**(2**17): each local squares the one before; a17 would have 131,073 bits.
    chain = "\n".join(f"  a{i} = local.a{i - 1} * local.a{i - 1}" for i in range(1, 18))
    notes, report = checked(tmp_path, "local.a17", f"locals {{\n  a0 = 2\n{chain}\n}}\n")
    (note,) = [f for f in report.findings if f.code == "ECS001"]
    assert note.message == "a product of more than 100,000 bits" + TAIL
    assert note.line == 23  # a17 = a16 * a16: 65,537 + 65,537 bits


def test_a_dynamic_block_past_the_limit_is_unknown_with_a_note(tmp_path, monkeypatch):
    monkeypatch.setenv("ECSLINT_MAX_COLLECTION", "2")
    two_modules(tmp_path, {"main.tf": '''
resource "aws_ecs_cluster" "x" {
  name = "x"
  dynamic "setting" {
    for_each = ["a", "b", "c"]
    content {
      name  = "containerInsights"
      value = "enabled"
    }
  }
}
'''})
    report = lint([tmp_path])
    assert ecs001(report) == {"main.tf": "dynamic for_each: 3 elements, more than the limit "
                                         "of 2 (ECSLINT_MAX_COLLECTION)" + TAIL}
    assert good_kept(report)


def test_within_the_limits_the_calls_are_evaluated_as_before():
    budget = Budget(Limits())
    assert functions.call("join", [",", ["a", "b"]], budget, None) == "a,b"
    assert list(functions.call("range", [3], budget, None)) == [0, 1, 2]
    assert functions.call("format", ["%5d", 42], budget, None) == "   42"
    assert budget.notes == []
    # distinct() by hashed keys and by comparison, as `terraform console` (1.11) prints
    # distinct(["b", "a", "b", "c", "a"]), distinct([["x"], ["y"], ["x"]]) and
    # distinct([1, 2, 1.0, 3]).
    assert list(functions.call("distinct", [["b", "a", "b", "c", "a"]])) == ["b", "a", "c"]
    assert [list(x) for x in functions.call("distinct", [[["x"], ["y"], ["x"]]])] == \
        [["x"], ["y"]]
    one = functions.call("tonumber", ["1.0"])
    assert list(functions.call("distinct", [[1, 2, one, 3]])) == [1, 2, 3]
