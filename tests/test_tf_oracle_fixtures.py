"""The Terraform oracle fixtures are complete and in their documented shape.

tests/fixtures/tf_semantics/*/expected.json and tests/fixtures/differential/*/plan.json are
written by their regen.sh from real Terraform; this only checks that each root has its
output, that the shape is the one README.md documents, and that no Terraform working files
were committed next to them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SEM = HERE / "fixtures" / "tf_semantics"
DIFF = HERE / "fixtures" / "differential"
CASES = sorted(p.name for p in SEM.iterdir() if (p / "main.tf").is_file())
ROOTS = sorted(p.name for p in DIFF.iterdir() if (p / "main.tf").is_file())
UNKNOWN = "(known after apply)"


def _has_unknown(v) -> bool:
    if v == UNKNOWN:
        return True
    if isinstance(v, dict):
        return any(_has_unknown(x) for x in v.values())
    if isinstance(v, list):
        return any(_has_unknown(x) for x in v)
    return False


@pytest.mark.parametrize("case", CASES)
def test_semantics_case_shape(case):
    exp = json.loads((SEM / case / "expected.json").read_text())
    assert set(exp) <= {"terraform_version", "outputs", "resources", "planned", "errors"}
    assert exp["resources"] == sorted(exp["resources"])
    if case.endswith("_errors"):
        assert exp["errors"] and all(e["summary"] and e["line"] for e in exp["errors"])
        return
    assert "errors" not in exp and exp["terraform_version"] == "1.11.4"
    assert exp["outputs"] or exp.get("planned")
    for name, out in exp["outputs"].items():
        assert isinstance(out["sensitive"], bool), name
        if out["known"]:
            assert set(out) == {"known", "value", "sensitive"}, name
        else:
            assert set(out) <= {"known", "partial", "sensitive"}, name
            assert "partial" not in out or _has_unknown(out["partial"]), name


def test_semantics_cases_cover_the_classes():
    assert {"types", "for_exprs", "strings", "functions", "numbers", "json", "sensitive",
            "unknowns", "unknowns_errors", "dynamic_blocks", "container_json",
            "container_json_errors"} <= set(CASES)


@pytest.mark.parametrize("root", ROOTS)
def test_differential_root_has_a_plan(root):
    doc = json.loads((DIFF / root / "plan.json").read_text())
    assert doc["terraform_version"] == "1.11.4" and doc["resource_changes"]


@pytest.mark.parametrize("base", [SEM, DIFF])
def test_no_terraform_working_files(base):
    leftovers = [p for pattern in (".terraform", ".terraform.lock.hcl", "*.tfstate*",
                                   "plan.bin")
                 for p in base.rglob(pattern)]
    assert not leftovers
