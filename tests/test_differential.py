"""Differential tests against real Terraform: roots modelled on public ECS modules
(tests/fixtures/differential, planned offline by Terraform 1.11 and the AWS provider).

- Every value the plan knows (tests/tfexpected.py reads it, without ecslint) is known and
  equal in `ecslint inspect` of the HCL, except the gaps listed below with their reason.
- Findings from the HCL and from the plan agree, except the listed gaps.
Both lists can only shrink: a gap that starts to agree fails the test until it is removed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import tfexpected
from ecslint.cli import app

ROOTS = Path(__file__).resolve().parent / "fixtures" / "differential"
NAMES = sorted(p.name for p in ROOTS.iterdir() if (p / "plan.json").is_file())
UNKNOWN = "(unknown)"

# (root, field path) -> why ecslint's value differs from the plan's. Empty: every value the
# plans know is known and equal (the last gaps, declared types, case-insensitive container
# keys and length() of a partly unknown map, were fixed against this very test).
VALUE_GAPS: dict[tuple[str, str], str] = {}
# (root, (code, resource)) -> why the HCL and the plan give different findings.
FINDING_GAPS: dict[tuple[str, tuple[str, str]], str] = {}


def _run(*args: str) -> dict:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def hcl_roots(tmp_path_factory) -> dict[str, Path]:
    """Each root without its plan.json: `inspect` and `check` of a directory read both."""
    out = {}
    for name in NAMES:
        dest = tmp_path_factory.mktemp("hcl") / name
        shutil.copytree(ROOTS / name, dest, ignore=shutil.ignore_patterns("plan.json"))
        out[name] = dest
    return out


def _normalised(kind: str, fields: dict) -> dict:
    """Both sides in one shape: sets as sorted lists, containers by name, and what the model
    does not carry (a service's desired count, strategy weights) left out."""
    out = dict(fields)
    if kind == "task_definition":
        if isinstance(out.get("requiresCompatibilities"), list):
            out["requiresCompatibilities"] = sorted(out["requiresCompatibilities"])
        if isinstance(out.get("containerDefinitions"), list):
            by_name = {}
            for c in out["containerDefinitions"]:
                c = dict(c)
                if isinstance(c.get("environment"), list):
                    c["environment"] = sorted(c["environment"], key=lambda e: str(e["name"]))
                by_name[c.get("name")] = c
            out["containerDefinitions"] = by_name
    if kind == "service":
        out.pop("desiredCount", None)
        out.pop("capacityProviderStrategy", None)
        if isinstance(out.get("loadBalancers"), list):
            out["loadBalancers"] = sorted(
                ({"containerName": lb["containerName"], "containerPort": lb["containerPort"]}
                 for lb in out["loadBalancers"]), key=lambda x: json.dumps(x, sort_keys=True))
    return out


def _same(want: Any, got: Any) -> bool:
    if isinstance(want, bool) or isinstance(got, bool):
        return want is got
    if isinstance(want, (int, float)) and isinstance(got, (int, float)):
        return float(want) == float(got)
    return want == got


def _compare(want: Any, got: Any, path: str, out: dict[str, str]) -> int:
    """Record each disagreement (path -> 'wrong' or 'unknown'); count the values compared."""
    if isinstance(want, dict):
        if not isinstance(got, dict):
            out[path] = "unknown" if got == UNKNOWN else "wrong"
            return 1
        return sum(_compare(w, got.get(k), f"{path}.{k}", out) for k, w in want.items())
    if got == UNKNOWN:
        out[path] = "unknown"
    elif isinstance(want, list) and isinstance(got, list) and len(want) == len(got) and \
            all(isinstance(x, dict) for x in want):
        return sum(_compare(w, g, f"{path}[{i}]", out)
                   for i, (w, g) in enumerate(zip(want, got)))
    elif not _same(want, got):
        out[path] = "wrong"
    return 1


def value_disagreements(name: str, root: Path) -> tuple[dict[str, str], int]:
    plan = json.loads((ROOTS / name / "plan.json").read_text())
    expected = tfexpected.expected_entities(plan)
    ours = {e["address"]: e for e in _run("inspect", "--no-cache", "--format", "json",
                                          str(root))["entities"]}
    out: dict[str, str] = {}
    compared = 0
    for address, entity in expected.items():
        if entity["kind"] == "cluster_capacity_providers":
            continue  # a relation, not an entity: seen on the cluster (capacityProviders)
        mine = ours.get(address)
        if mine is None:
            out[address] = "missing"
            continue
        compared += _compare(_normalised(entity["kind"], entity["fields"]),
                             _normalised(entity["kind"], mine["fields"]), address, out)
    return out, compared


@pytest.mark.parametrize("name", NAMES)
def test_every_value_the_plan_knows_is_known_and_equal(name, hcl_roots):
    found, compared = value_disagreements(name, hcl_roots[name])
    gaps = {path for (root, path) in VALUE_GAPS if root == name}
    assert sorted(set(found) - gaps) == [], {p: found[p] for p in set(found) - gaps}
    assert sorted(gaps - set(found)) == [], "these gaps are fixed: remove them from VALUE_GAPS"
    assert compared >= 15  # the comparison really looked at values


def _findings(*args: str) -> set[tuple[str, str]]:
    return {(f["code"], f["resource"]) for f in _run("check", "--no-cache", "--format", "json",
                                                     *args)["findings"]}


@pytest.mark.parametrize("name", NAMES)
def test_findings_from_hcl_and_plan_agree(name, hcl_roots):
    from_hcl = _findings(str(hcl_roots[name]))
    from_plan = _findings(str(ROOTS / name / "plan.json"))
    differ = from_hcl ^ from_plan
    gaps = {key for (root, key) in FINDING_GAPS if root == name}
    assert differ - gaps == set()
    assert gaps - differ == set(), "these gaps are fixed: remove them from FINDING_GAPS"
    assert from_hcl & from_plan  # both sides found something in common
