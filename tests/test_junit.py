"""`--format junit`: one testcase per (file, rule) pair, a failure for its findings at or
above --fail-on, a passing testcase with them in <system-out> below it."""

from __future__ import annotations

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ecslint.engine import Report
from ecslint.model import Finding, Severity
from ecslint.report import junit_format

FIXTURE = Path(__file__).parent / "fixtures" / "config" / "infra"


@pytest.fixture()
def project(tmp_path):
    shutil.copytree(FIXTURE, tmp_path / "infra")
    return tmp_path


def junit(cwd: Path, *args: str) -> tuple[subprocess.CompletedProcess, ET.Element]:
    proc = subprocess.run([sys.executable, "-m", "ecslint", "check", "--format", "junit", *args],
                          cwd=cwd, capture_output=True, text=True, timeout=120)
    assert proc.stdout.startswith('<?xml version="1.0" encoding="UTF-8"?>\n'), proc.stderr
    return proc, ET.fromstring(proc.stdout.encode("utf-8"))


def cases(root: ET.Element) -> list[tuple]:
    return [(c.get("classname"), c.get("name"), c.get("file"), c.get("line"),
             [child.tag for child in c]) for c in root.iter("testcase")]


def assert_counts_agree(root: ET.Element) -> None:
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert len(suites) == 1
    for element in (root, suites[0]):
        testcases = list(suites[0].iter("testcase"))
        assert int(element.get("tests")) == len(testcases)
        assert int(element.get("failures")) == sum(len(c.findall("failure")) for c in testcases)
        assert int(element.get("errors")) == sum(len(c.findall("error")) for c in testcases)
        assert element.get("skipped") == "0"


def test_one_testcase_per_file_and_rule(project):
    proc, root = junit(project, "infra")
    assert proc.returncode == 1
    assert_counts_agree(root)
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("4", "3", "0")
    assert cases(root) == [
        ("infra/cluster.tf", "ECS401 container-insights-disabled", "infra/cluster.tf", "1",
         ["failure"]),
        ("infra/ecs.tf", "ECS103 container-memory-below-task", "infra/ecs.tf", "18", ["failure"]),
        ("infra/ecs.tf", "ECS403 metrics-sidecar-missing", "infra/ecs.tf", "13", ["failure"]),
        ("ecslint", "checked 2 files", None, None, []),
    ]


def test_failure_lists_every_finding_of_the_pair(project):
    _, root = junit(project, "infra")
    case = next(c for c in root.iter("testcase") if c.get("name").startswith("ECS103"))
    failure = case.find("failure")
    assert failure.get("type") == "ECS103 warning"
    assert failure.get("message").startswith("2 findings: container 'api' is capped at memory")
    lines = failure.text.splitlines()
    assert lines[0].startswith("infra/ecs.tf:18:7: ECS103 container 'api' is capped")
    assert lines[1:4] == ["    warning container-memory-below-task",
                          "    resource aws_ecs_task_definition.api", "    container api"]
    assert lines[5].startswith("infra/ecs.tf:46:7: ECS103 container 'worker' is capped")
    single = next(c for c in root.iter("testcase") if c.get("name").startswith("ECS401"))
    assert single.find("failure").get("message").startswith(
        "cluster 'main' has no containerInsights")


@pytest.mark.parametrize("fail_on, failing", [
    ("info", ["ECS401", "ECS103", "ECS403"]),
    ("warning", ["ECS401", "ECS103"]),
    ("error", ["ECS401"]),
])
def test_only_findings_at_or_above_fail_on_are_failures(project, fail_on, failing):
    # One rule at each severity: the report and the exit code must tell the same story.
    (project / ".ecslint.toml").write_text('severity = {ECS401 = "error", ECS403 = "info"}\n')
    proc, root = junit(project, "infra", "--fail-on", fail_on)
    assert proc.returncode == 1  # ECS401 is an error: every threshold fails on it
    assert_counts_agree(root)
    by_code = {c.get("name").split()[0]: c for c in root.iter("testcase")
               if c.get("name").startswith("ECS")}
    failing_order = [c.get("name").split()[0] for c in root.iter("testcase")
                     if c.find("failure") is not None]
    assert failing_order == [code for code in ["ECS401", "ECS103", "ECS403"] if code in failing]
    assert int(root.get("failures")) == len(failing)
    for code, case in by_code.items():
        if code in failing:
            assert [child.tag for child in case] == ["failure"]
        else:  # passed, with what it found for whoever opens the test case
            assert [child.tag for child in case] == ["system-out"]
            out = case.find("system-out").text
            assert out.startswith(f"{case.get('file')}:{case.get('line')}:") and f" {code} " in out


def test_a_green_job_has_a_green_report(project):
    """The issue: `--fail-on error` exited 0 and the report had failures, so GitLab showed
    failed tests on a passing job."""
    proc, root = junit(project, "infra", "--fail-on", "error")
    assert proc.returncode == 0
    assert_counts_agree(root)
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("4", "0", "0")
    assert len(root.findall(".//system-out")) == 3


def test_a_parse_error_always_fails(project):
    (project / "infra" / "broken.tf").write_text('resource "aws_ecs_cluster" "x" {\n')
    (project / ".ecslint.toml").write_text('severity = {ECS001 = "info"}\n')
    proc, root = junit(project, "infra", "--fail-on", "error")
    assert proc.returncode == 2
    assert_counts_agree(root)
    case = next(c for c in root.iter("testcase") if c.get("name").startswith("ECS001"))
    assert [child.tag for child in case] == ["failure"]


def test_no_findings_is_one_passing_testcase(project):
    proc, root = junit(project, "infra/cluster.tf", "--select", "ECS1")
    assert proc.returncode == 0
    assert_counts_agree(root)
    assert cases(root) == [("ecslint", "checked 1 file", None, None, [])]


def test_usage_error_is_an_error_testcase(project):
    proc, root = junit(project, "infra/cluster.tf", "missing.tf")
    assert proc.returncode == 2
    assert proc.stderr == "ecslint: error: missing.tf: no such file or directory\n"
    assert_counts_agree(root)
    error = root.find("testsuite/testcase/error")
    assert error.get("message") == "missing.tf: no such file or directory"


def test_output_file(project):
    proc = subprocess.run([sys.executable, "-m", "ecslint", "check", "infra", "--format", "junit",
                           "--output", "report.xml"], cwd=project, capture_output=True, text=True,
                          timeout=120)
    assert (proc.returncode, proc.stdout) == (1, "")
    root = ET.parse(project / "report.xml").getroot()
    assert root.get("tests") == "4"


def test_escaping_and_control_characters():
    nasty = 'a <b> & "c" \x01\x1b[31m done'
    report = Report(findings=[
        Finding("ECS101", "memory-limit-missing", Severity.ERROR, nasty, "x&y.tf", 2, 3,
                "aws_ecs_task_definition.a", "c<1>"),
        Finding("ECS902", "health-check-kill-observed", Severity.ERROR, "killed",
                "arn:aws:ecs:us-east-1:1:service/prod/web", None, None),
    ], files=1)
    root = ET.fromstring(junit_format.render(report))
    assert_counts_agree(root)
    live, first, _ = root.iter("testcase")  # sorted by file: "arn:..." first
    assert first.get("classname") == "x&y.tf"
    failure = first.find("failure")
    assert failure.get("message") == 'a <b> & "c" \ufffd\ufffd[31m done'
    assert "    container c<1>" in failure.text
    assert (live.get("classname"), live.get("file"), live.get("line")) == \
        ("arn:aws:ecs:us-east-1:1:service/prod/web", None, None)
