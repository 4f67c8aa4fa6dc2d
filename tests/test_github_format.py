"""`--format github`: GitHub Actions workflow commands, one annotation per finding."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from ecslint.engine import Report
from ecslint.model import Finding, Severity
from ecslint.report import github_format

FIXTURE = Path(__file__).parent / "fixtures" / "config" / "infra"


def finding(severity: Severity, message: str = "m", file: str = "a.tf", line: int | None = 1,
            column: int | None = 2, code: str = "ECS101") -> Finding:
    return Finding(code, "name", severity, message, file, line, column)


def test_end_to_end(tmp_path):
    shutil.copytree(FIXTURE, tmp_path / "infra")
    (tmp_path / ".ecslint.toml").write_text('severity = {ECS401 = "error", ECS403 = "info"}\n')
    proc = subprocess.run([sys.executable, "-m", "ecslint", "check", "infra", "--format",
                           "github"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert [ln.split("::")[1] for ln in lines] == [
        "error file=infra/cluster.tf,line=1,col=1,title=ECS401",
        "notice file=infra/ecs.tf,line=13,col=3,title=ECS403",
        "warning file=infra/ecs.tf,line=18,col=7,title=ECS103",
        "notice file=infra/ecs.tf,line=41,col=3,title=ECS403",
        "warning file=infra/ecs.tf,line=46,col=7,title=ECS103",
    ]
    assert lines[2] == ("::warning file=infra/ecs.tf,line=18,col=7,title=ECS103::container 'api' "
                        "is capped at memory 512 MiB while 1472 of the task's 2048 MiB (72%25) is "
                        "assigned to no container: it is OOM-killed (exit 137) while the task "
                        "still has free memory")


def test_levels():
    report = Report(findings=[finding(Severity.ERROR), finding(Severity.WARNING),
                              finding(Severity.INFO)])
    assert github_format.render(report) == (
        "::error file=a.tf,line=1,col=2,title=ECS101::m\n"
        "::warning file=a.tf,line=1,col=2,title=ECS101::m\n"
        "::notice file=a.tf,line=1,col=2,title=ECS101::m\n")


def test_escaping():
    report = Report(findings=[finding(Severity.WARNING, message="50% of it\r\nnext: a, b",
                                      file="dir,with:odd%name.tf")])
    assert github_format.render(report) == (
        "::warning file=dir%2Cwith%3Aodd%25name.tf,line=1,col=2,title=ECS101::"
        "50%25 of it%0D%0Anext: a, b\n")


def test_no_line_no_column_and_default_column():
    report = Report(findings=[
        finding(Severity.ERROR, file="arn:aws:ecs:us-east-1:1:service/prod/web", line=None,
                column=None, code="ECS901"),
        finding(Severity.ERROR, line=4, column=None),
    ])
    assert github_format.render(report) == (
        "::error file=arn%3Aaws%3Aecs%3Aus-east-1%3A1%3Aservice/prod/web,title=ECS901::m\n"
        "::error file=a.tf,line=4,col=1,title=ECS101::m\n")


def test_no_findings_prints_nothing():
    assert github_format.render(Report(files=2)) == ""
