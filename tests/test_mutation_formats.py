"""Formats and CLI exit codes that mutation testing found unguarded (issue #15). In-process
(the subprocess tests elsewhere run the installed code, never a mutant)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from ecslint.cli import app
from ecslint.engine import Report
from ecslint.model import Finding, Severity
from ecslint.report import sarif_format

FIXTURE = Path(__file__).parent / "fixtures" / "config" / "infra"


def finding(line: int, code="ECS103", resource="aws_ecs_task_definition.api",
            container: str | None = "api") -> Finding:
    return Finding(code, "name", Severity.WARNING, "m", "infra/ecs.tf", line, 1, resource,
                   container)


def fingerprints(tmp_path, monkeypatch, *findings: Finding) -> list[str]:
    (tmp_path / ".git").mkdir(exist_ok=True)
    monkeypatch.chdir(tmp_path)
    doc = sarif_format.document(Report(findings=list(findings)))
    return [r["partialFingerprints"]["ecslint/v1"] for r in doc["runs"][0]["results"]]


def documented(path: str, code: str, resource: str, container: str, n: int) -> str:
    """The fingerprint as sarif_format documents it: sha256 over path, code, resource,
    container and the finding's ordinal among equal keys (from 1), NUL-separated; 32 hex
    digits. Pinned: code scanning matches alerts across runs by it."""
    raw = "\0".join((path, code, resource, container, str(n)))
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def test_duplicates_are_numbered_in_order_from_one(tmp_path, monkeypatch):
    got = fingerprints(tmp_path, monkeypatch, finding(5), finding(9), finding(30))
    key = ("infra/ecs.tf", "ECS103", "aws_ecs_task_definition.api", "api")
    assert got == [documented(*key, 1), documented(*key, 2), documented(*key, 3)]


def test_numbering_is_per_key(tmp_path, monkeypatch):
    other = finding(7, container="worker")
    got = fingerprints(tmp_path, monkeypatch, finding(5), other, finding(9))
    assert got == [documented("infra/ecs.tf", "ECS103", "aws_ecs_task_definition.api", "api", 1),
                   documented("infra/ecs.tf", "ECS103", "aws_ecs_task_definition.api",
                              "worker", 1),
                   documented("infra/ecs.tf", "ECS103", "aws_ecs_task_definition.api", "api", 2)]
    # a finding without resource or container: empty strings in the key
    assert fingerprints(tmp_path, monkeypatch, finding(1, "ECS401", None, None)) == [
        documented("infra/ecs.tf", "ECS401", "", "", 1)]


# ------------------------------------------------------------------ --write-baseline exits

@pytest.fixture()
def project(tmp_path, monkeypatch):
    shutil.copytree(FIXTURE, tmp_path / "infra")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ECSLINT_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


def test_write_baseline_exits_0_when_everything_was_read(project):
    result = CliRunner().invoke(app, ["check", "infra", "--write-baseline", "b.json"])
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == "ecslint: wrote 5 findings to b.json\n"


def test_write_baseline_with_a_parse_error_exits_2(project):
    # interface.md, Exit codes: 2 for an input that could not be parsed; the baseline is still
    # written (without the ECS001)
    (project / "infra" / "broken.tf").write_text('resource "aws_ecs_cluster" "x" {\n')
    result = CliRunner().invoke(app, ["check", "infra", "--write-baseline", "b.json"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "ecslint: wrote 5 findings to b.json",
        "infra/broken.tf:1:33: ECS001 invalid HCL: unexpected end of file (unclosed block or "
        "string?)",
        "ecslint: error: 1 parse error above (ECS001, never baselined): fix it, then write the "
        "baseline again"]
    (project / "infra" / "broken2.tf").write_text('resource "aws_ecs_cluster" "y" {\n')
    result = CliRunner().invoke(app, ["check", "infra", "--write-baseline", "b.json"])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "ecslint: error: 2 parse errors above (ECS001, never baselined): fix them, then write "
        "the baseline again")


def test_write_baseline_with_nothing_to_check_exits_2(project):
    (project / "empty").mkdir()
    result = CliRunner().invoke(app, ["check", "empty", "--write-baseline", "b.json"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "ecslint: wrote 0 findings to b.json",
        "ecslint: error: no Terraform or task-definition files found in empty"]


# ------------------------------------------------------------------ JUnit, SARIF properties

def test_junit_testcases_have_time_zero_and_count_files_in_words():
    from ecslint.report import junit_format

    for files, name in ((1, "checked 1 file"), (2, "checked 2 files"), (0, "checked 0 files")):
        root = junit_format.document(Report(findings=[finding(5)], files=files))
        cases = root.find("testsuite").findall("testcase")
        assert [c.get("time") for c in cases] == ["0", "0"]
        assert cases[-1].get("name") == name


def test_sarif_result_properties_name_resource_and_container(tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    doc = sarif_format.document(Report(findings=[finding(5), finding(6, "ECS401", None, None)]))
    results = doc["runs"][0]["results"]
    assert results[0]["properties"] == {"resource": "aws_ecs_task_definition.api",
                                        "container": "api"}
    assert "properties" not in results[1]


# ------------------------------------------------------------------ the baseline file

def test_the_baseline_file_is_indented_json_one_key_a_line(tmp_path):
    from ecslint import baseline

    path = tmp_path / "b.json"
    baseline.write([finding(5)], str(path))
    text = path.read_text()
    assert text.startswith('{\n  "version": 1,\n  "generator": "ecslint ')
    assert '\n      "container": "api",\n' in text and text.endswith("}\n")


def test_the_baseline_tells_containers_apart(tmp_path):
    from ecslint import baseline

    path = tmp_path / "b.json"
    api, worker = finding(5), finding(6, container="worker")
    (tmp_path / "infra").mkdir()
    baseline.write([api], str(path))
    data = baseline.load(str(path))
    assert baseline.filter_new([api, worker], data) == [worker]


def test_a_baseline_entry_with_a_bad_container_is_rejected(tmp_path):
    import json

    from ecslint import baseline

    path = tmp_path / "b.json"
    path.write_text(json.dumps({"version": 1, "findings": [
        {"file": "a.tf", "code": "ECS103", "resource": "r", "container": 5, "count": 1}]}))
    with pytest.raises(baseline.BaselineError) as caught:
        baseline.load(str(path))
    assert str(caught.value) == f"baseline {path}: findings[0] is not a valid entry"
