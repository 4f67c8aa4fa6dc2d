"""Baseline: `--write-baseline` records findings, `--baseline` reports only new ones."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ecslint import baseline
from ecslint.cli import app
from ecslint.model import Finding, Severity

FIXTURE = Path(__file__).parent / "fixtures" / "config" / "infra"

NEW_TASK = '''
resource "aws_ecs_task_definition" "batch" {
  family                   = "batch"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = "256"
  memory                   = "512"
  container_definitions = jsonencode([{
    name              = "batch"
    image             = "example/batch:1"
    memoryReservation = 256
  }])
}
'''  # ECS403 only


def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ecslint", "check", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture()
def project(tmp_path):
    shutil.copytree(FIXTURE, tmp_path / "infra")
    return tmp_path


def test_write_then_nothing_new(project):
    proc = cli(project, "infra", "--write-baseline", "baseline.json")
    assert (proc.returncode, proc.stdout) == (0, "")
    assert proc.stderr == "ecslint: wrote 5 findings to baseline.json\n"
    doc = json.loads((project / "baseline.json").read_text())
    assert doc == {"version": 1, "generator": doc["generator"], "findings": [
        {"file": "infra/cluster.tf", "code": "ECS401", "resource": "aws_ecs_cluster.main",
         "container": None, "count": 1},
        {"file": "infra/ecs.tf", "code": "ECS103", "resource": "aws_ecs_task_definition.api",
         "container": "api", "count": 1},
        {"file": "infra/ecs.tf", "code": "ECS103", "resource": "aws_ecs_task_definition.worker",
         "container": "worker", "count": 1},
        {"file": "infra/ecs.tf", "code": "ECS403", "resource": "aws_ecs_task_definition.api",
         "container": None, "count": 1},
        {"file": "infra/ecs.tf", "code": "ECS403", "resource": "aws_ecs_task_definition.worker",
         "container": None, "count": 1},
    ]}
    assert doc["generator"].startswith("ecslint ")
    proc = cli(project, "infra", "--baseline", "baseline.json")
    assert (proc.returncode, proc.stdout) == (0, "No findings.\n")


def test_line_shifts_do_not_make_findings_new_but_new_resources_do(project):
    cli(project, "infra", "--write-baseline", "baseline.json")
    ecs = project / "infra" / "ecs.tf"
    ecs.write_text("# Tasks of the shop.\n\n\n" + ecs.read_text() + NEW_TASK)
    proc = cli(project, "infra", "--baseline", "baseline.json")
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        "infra/ecs.tf:71:3: ECS403 no container collects task-metadata stats "
        "(${ECS_CONTAINER_METADATA_URI_V4}/task/stats): per-container memory peaks and CPU "
        "throttling go unrecorded, so an OOM kill or CPU starvation cannot be diagnosed",
        "Found 1 finding (0 errors, 1 warning, 0 info).",
    ]


def test_fixed_findings_are_simply_gone(project):
    cli(project, "infra", "--write-baseline", "baseline.json")
    (project / "infra" / "cluster.tf").unlink()
    proc = cli(project, "infra", "--baseline", "baseline.json", "--format", "json")
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["findings"] == []


def test_paths_are_relative_to_the_baseline_file(project):
    cli(project, "infra", "--write-baseline", "baseline.json")
    proc = cli(project / "infra", ".", "--baseline", "../baseline.json")
    assert (proc.returncode, proc.stdout) == (0, "No findings.\n")
    proc = cli(project / "infra", ".", "--write-baseline", "../second.json")
    assert proc.returncode == 0
    assert json.loads((project / "second.json").read_text()) == \
        json.loads((project / "baseline.json").read_text())


def test_parse_errors_are_never_baselined(project):
    (project / "infra" / "broken.tf").write_text('resource "aws_ecs_cluster" "x" {\n')
    proc = cli(project, "infra", "--write-baseline", "baseline.json")
    assert proc.returncode == 2
    # The ECS001 is not recorded, and the exit code 2 says why.
    assert proc.stderr.splitlines() == [
        "ecslint: wrote 5 findings to baseline.json",
        "infra/broken.tf:1:33: ECS001 invalid HCL: unexpected end of file (unclosed block or "
        "string?)",
        "ecslint: error: 1 parse error above (ECS001, never baselined): fix it, then write the "
        "baseline again"]
    proc = cli(project, "infra", "--baseline", "baseline.json")
    assert proc.returncode == 2
    assert [ln.split(" ")[1] for ln in proc.stdout.splitlines()[:-1]] == ["ECS001"]


def key(code: str, line: int, resource: str = "r", container: str | None = None,
        file: str = "a.tf") -> Finding:
    return Finding(code, "name", Severity.WARNING, f"message {line}", file, line, 1, resource,
                   container)


def test_duplicates_are_counted(tmp_path):
    path = str(tmp_path / "b.json")
    assert baseline.write([key("ECS104", 3), key("ECS104", 9), key("ECS103", 9)], path) == 3
    data = baseline.load(path)
    now = [key("ECS104", 4), key("ECS104", 10), key("ECS104", 12), key("ECS103", 11)]
    assert baseline.filter_new(now, data) == [now[2]]
    assert baseline.filter_new(now[:1], data) == []
    other = [key("ECS104", 4, container="c"), key("ECS104", 4, resource="s"),
             key("ECS104", 4, file="b.tf"), key("ECS105", 4)]
    assert baseline.filter_new(other, data) == other


def test_missing_count_means_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # finding paths are relative to cwd, the baseline's to itself
    path = tmp_path / "b.json"
    path.write_text(json.dumps({"version": 1, "findings": [
        {"file": "a.tf", "code": "ECS104", "resource": "r", "container": None}]}))
    found = [key("ECS104", 1), key("ECS104", 2)]
    assert baseline.filter_new(found, baseline.load(str(path))) == [found[1]]


@pytest.mark.parametrize("content, message", [
    (None, "baseline b.json: no such file (create it with --write-baseline)"),
    ("{", "baseline b.json: invalid JSON: Expecting property name enclosed in double quotes: "
          "line 1 column 2 (char 1)"),
    ("[]", "baseline b.json: not an ecslint baseline (no version key)"),
    ('{"version": 2, "findings": []}',
     "baseline b.json: unsupported version 2 (this ecslint reads version 1)"),
    ('{"version": 1}', "baseline b.json: 'findings' must be a list"),
    ('{"version": 1, "findings": [{"file": "a.tf"}]}',
     "baseline b.json: findings[0] is not a valid entry"),
    ('{"version": 1, "findings": [{"file": "a.tf", "code": "ECS101", "count": 0}]}',
     "baseline b.json: findings[0] is not a valid entry"),
    ('{"version": 1, "findings": [{"file": "a.tf", "code": "ECS101", "resource": 3}]}',
     "baseline b.json: findings[0] is not a valid entry"),
])
def test_bad_baseline_is_a_one_line_error(project, content, message, monkeypatch):
    if content is not None:
        (project / "b.json").write_text(content)
    monkeypatch.chdir(project)
    result = CliRunner().invoke(app, ["check", "infra", "--baseline", "b.json"])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"ecslint: error: {message}\n"


def test_unwritable_baseline_is_a_one_line_error(project):
    proc = cli(project, "infra", "--write-baseline", "no/such/dir/b.json")
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == ("ecslint: error: cannot write baseline no/such/dir/b.json: "
                           "No such file or directory\n")
