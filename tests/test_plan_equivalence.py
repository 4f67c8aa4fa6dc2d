"""The same module gives the same findings from its HCL and from its real Terraform plan.

The plans in tests/fixtures/plan/ were made by Terraform 1.11 with the AWS provider 5.100
(`tests/fixtures/plan/regen.sh`), so this is also the check of our HCL evaluator against
Terraform's own.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from helpers import lint

ROOT = Path(__file__).resolve().parent.parent
PLANS = ROOT / "tests" / "fixtures" / "plan"

# Findings only one side can have, and why.
EXPECTED_DIFFERENCES = {
    # A partly unknown jsonencode() keeps its known fields in HCL; in a plan the provider
    # turns the whole container_definitions string unknown, so the rule stays silent there.
    "fargate_basic": ({("ECS103", "aws_ecs_task_definition.unknown_defs", "app")}, set()),
    # Suppressed inline in the HCL; a plan carries no comments.
    "examples": (set(), {("ECS401", "aws_ecs_cluster.sandbox", None)}),
}


def keys(report, in_plan: bool) -> Counter:
    return Counter((f.code, f.resource, f.container) for f in report.findings
                   if f.code != "ECS002" and (f.file.endswith("plan.json") == in_plan))


def sources(name: str) -> tuple[Path, Path]:
    if name == "examples":
        return ROOT / "examples" / "terraform", PLANS / "examples_plan.json"
    return PLANS / name, PLANS / name / "plan.json"


@pytest.mark.parametrize("name", ["ec2_alb_service", "fargate_basic", "insights",
                                  "modules_call", "scaling", "examples"])
def test_hcl_and_plan_agree(name):
    hcl_dir, plan = sources(name)
    hcl = keys(lint([hcl_dir], cwd=ROOT), in_plan=False)
    from_plan = keys(lint([plan], cwd=ROOT), in_plan=True)
    assert sum(hcl.values()) > 0
    only_hcl, only_plan = EXPECTED_DIFFERENCES.get(name, (set(), set()))
    assert set(hcl - from_plan) == only_hcl
    assert set(from_plan - hcl) == only_plan


def test_plan_findings_point_into_the_plan_file():
    report = lint([PLANS / "modules_call" / "plan.json"], cwd=ROOT)
    f = next(f for f in report.findings if f.code == "ECS105")
    assert f.resource == "module.legacy[0].aws_ecs_task_definition.this"
    assert f.file == "tests/fixtures/plan/modules_call/plan.json" and f.line == 1
    text = (PLANS / "modules_call" / "plan.json").read_text()
    assert text[f.column - 1:].startswith('"address":"module.legacy[0].aws_ecs_task_definition')
