"""The `ecslint check` command: formats, exit codes, selection, named files."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ecslint import __version__
from helpers import write

MODULE = {
    "cluster.tf": '''
        resource "aws_ecs_cluster" "c" {
          name = "prod"
          setting {
            name  = "containerInsights"
            value = "enabled"
          }
        }
    ''',  # ECS402 (info)
    "task.tf": '''
        locals { mem = 16384 }
        resource "aws_ecs_task_definition" "app" {
          family                   = "app"
          requires_compatibilities = ["FARGATE"]
          network_mode             = "awsvpc"
          cpu                      = "2048"
          memory                   = tostring(local.mem)
          container_definitions = jsonencode([{
            name      = "app"
            image     = "app:1"
            essential = true
            memory    = 4096
          }])
        }
    ''',  # ECS103 (warning) at the container's memory, ECS403 (warning)
}


def cli(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ecslint", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture()
def module(tmp_path):
    write(tmp_path / "infra", MODULE)
    return tmp_path


def test_concise_output_is_sorted_with_summary(module):
    proc = cli("check", "infra", cwd=module)
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        "infra/cluster.tf:6:5: ECS402 Container Insights is enabled on cluster 'prod' but not "
        "enhanced: there are no per-container metrics, so the container that runs out of memory "
        "or CPU cannot be singled out",
        "infra/task.tf:9:3: ECS403 no container collects task-metadata stats "
        "(${ECS_CONTAINER_METADATA_URI_V4}/task/stats): per-container memory peaks and CPU "
        "throttling go unrecorded, so an OOM kill or CPU starvation cannot be diagnosed",
        "infra/task.tf:13:5: ECS103 container 'app' is capped at memory 4096 MiB while 12288 of "
        "the task's 16384 MiB (75%) is assigned to no container: it is OOM-killed (exit 137) "
        "while the task still has free memory",
        "Found 3 findings (0 errors, 2 warnings, 1 info).",
    ]


def test_json_output_has_the_interface_shape(module):
    proc = cli("check", "infra", "--format", "json", cwd=module)
    doc = json.loads(proc.stdout)
    assert doc["version"] == __version__
    assert doc["summary"] == {"files": 2, "findings": 3, "error": 0, "warning": 2, "info": 1}
    f = next(f for f in doc["findings"] if f["code"] == "ECS103")
    assert f == {"code": "ECS103", "name": "container-memory-below-task", "severity": "warning",
                 "message": f["message"], "file": "infra/task.tf", "line": 13, "column": 5,
                 "resource": "aws_ecs_task_definition.app", "container": "app",
                 "url": f["url"], "related": f["related"]}
    assert f["url"].endswith("/rules/ECS103.md")
    # The other decisive value, the task memory: where it was written (the local) and
    # where it was set, as related locations.
    assert [(r["file"], r["line"], r["message"]) for r in f["related"]] == [
        ("infra/task.tf", 2, "task memory 16384 MiB written here"),
        ("infra/task.tf", 8, "task memory 16384 MiB set here")]
    cluster = next(f for f in doc["findings"] if f["code"] == "ECS402")
    assert cluster["container"] is None and cluster["resource"] == "aws_ecs_cluster.c"


def test_full_format_adds_details(module):
    out = cli("check", "infra", "--format", "full", cwd=module).stdout
    assert "    warning container-memory-below-task, resource aws_ecs_task_definition.app, " \
           "container app" in out
    assert "    see https://" in out


def test_github_format(module):
    out = cli("check", "infra", "--format", "github", cwd=module).stdout.splitlines()
    assert out[0].startswith("::notice file=infra/cluster.tf,line=6,col=5,title=ECS402::")
    assert any(ln.startswith("::warning file=infra/task.tf,line=13,col=5,title=ECS103::")
               for ln in out)


@pytest.mark.parametrize("args,code", [
    ([], 1),                                  # warnings fail by default
    (["--fail-on", "error"], 0),
    (["--fail-on", "info"], 1),
    (["--select", "ECS402"], 0),              # only info left
    (["--select", "ECS402", "--fail-on", "info"], 1),
    (["--ignore", "ECS1", "--ignore", "ECS4"], 0),
    (["--select", "ECS4", "--ignore", "ECS403"], 0),
    (["--select", "ECS40", "--ignore", "ECS4"], 1),  # the longer prefix wins
])
def test_exit_codes_and_selection(module, args, code):
    assert cli("check", "infra", *args, cwd=module).returncode == code


def test_select_and_ignore_filter_output(module):
    out = cli("check", "infra", "--select", "ECS1", cwd=module).stdout
    assert " ECS103 " in out and " ECS402 " not in out and " ECS403 " not in out


def test_statistics(module):
    out = cli("check", "infra", "--statistics", cwd=module).stdout.splitlines()
    assert "    1\tECS103\tcontainer-memory-below-task" in out


def test_output_file(module):
    proc = cli("check", "infra", "--format", "json", "--output", "report.json", cwd=module)
    assert proc.stdout == "" and proc.returncode == 1
    assert json.loads((module / "report.json").read_text())["summary"]["findings"] == 3


def test_no_findings(tmp_path):
    write(tmp_path, {"main.tf": 'resource "aws_ecs_cluster" "c" {\n  name = "x"\n  setting {\n'
                                '    name  = "containerInsights"\n    value = "enhanced"\n'
                                '  }\n}\n'})
    proc = cli("check", ".", cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (0, "No findings.\n")


def test_version_and_module_entry_point(tmp_path):
    assert cli("--version", cwd=tmp_path).stdout == f"ecslint {__version__}\n"
    assert "check" in cli("--help", cwd=tmp_path).stdout


def test_named_file_reads_its_module_but_reports_only_itself(module):
    # task.tf uses local.mem from its own file; cluster.tf is not named: no ECS402.
    proc = cli("check", "infra/task.tf", cwd=module)
    lines = proc.stdout.splitlines()
    assert all(ln.startswith("infra/task.tf:") for ln in lines[:-1]) and len(lines) == 3


def test_named_file_in_a_child_module_is_evaluated_through_its_caller(tmp_path):
    write(tmp_path, {
        "main.tf": 'module "svc" {\n  source = "./modules/svc"\n  memory = 4096\n}\n',
        "modules/svc/main.tf": '''
            variable "memory" {}
            resource "aws_ecs_task_definition" "t" {
              family                   = "t"
              requires_compatibilities = ["FARGATE"]
              cpu                      = "2048"
              memory                   = "16384"
              container_definitions = jsonencode([{ name = "a", image = "a", memory = var.memory }])
            }
        ''',
    })
    doc = json.loads(cli("check", "modules/svc/main.tf", "--format", "json", "--select",
                         "ECS103", cwd=tmp_path).stdout)
    assert [(f["code"], f["resource"]) for f in doc["findings"]] == [
        ("ECS103", "module.svc.aws_ecs_task_definition.t")]


def test_named_json_read_by_a_module_is_checked_through_that_module(tmp_path):
    write(tmp_path, {
        "main.tf": '''
            resource "aws_ecs_task_definition" "t" {
              family                   = "t"
              requires_compatibilities = ["FARGATE"]
              cpu                      = "2048"
              memory                   = "16384"
              container_definitions    = file("${path.module}/containers/app.json")
            }
        ''',
        "containers/app.json": '[\n  {"name": "app", "image": "app:1", "memory": 4096}\n]\n',
    })
    doc = json.loads(cli("check", "containers/app.json", "--format", "json", cwd=tmp_path).stdout)
    # Through its module: ECS103 (task memory known); never ECS101 as a bare container list.
    assert [(f["code"], f["file"], f["line"]) for f in doc["findings"]] == [
        ("ECS103", "containers/app.json", 2)]


def test_root_calling_only_an_installed_registry_module_is_checked(tmp_path):
    write(tmp_path, {
        "main.tf": 'module "ecs" {\n  source = "terraform-aws-modules/ecs/aws"\n}\n',
        ".terraform/modules/modules.json":
            '{"Modules": [{"Key": "ecs", "Source": "x", "Dir": ".terraform/modules/ecs"}]}',
        ".terraform/modules/ecs/main.tf": 'resource "aws_ecs_cluster" "c" {\n  name = "x"\n}\n',
    })
    doc = json.loads(cli("check", ".", "--format", "json", "--no-cache", cwd=tmp_path).stdout)
    assert [(f["code"], f["resource"]) for f in doc["findings"]] == [
        ("ECS401", "module.ecs.aws_ecs_cluster.c")]


@pytest.mark.parametrize("command", ["check", "audit", "rules", "rule"])
def test_help_lists_each_argument_once_whatever_the_click_version(command):
    """click 8.5 writes a section of documented arguments of its own; ours replaces it."""
    import click
    from click.testing import CliRunner

    from ecslint.cli import _Argument, app

    result = CliRunner().invoke(app, [command, "--help"], prog_name="ecslint")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    arguments = [p for p in app.commands[command].params if isinstance(p, click.Argument)]
    assert all(isinstance(p, _Argument) and p.help for p in arguments)
    assert lines.count("Arguments:") == (1 if arguments else 0)
    assert "Positional arguments:" not in lines
    assert lines.count("Options:") == 1
    for param in arguments:
        metavar = param.get_usage_pieces(click.Context(app.commands[command]))[0]
        rows = [ln for ln in lines if ln.startswith(f"  {metavar}  ")]
        assert rows == [f"  {metavar}  {param.help}" + (" [required]" if param.required
                                                         else "")], result.output
    if arguments:
        assert lines.index("Arguments:") < lines.index("Options:")


@pytest.mark.parametrize("severities, line", [
    ([], "No findings."),
    (["error"], "Found 1 finding (1 error, 0 warnings, 0 info)."),
    (["warning"], "Found 1 finding (0 errors, 1 warning, 0 info)."),
    (["info"], "Found 1 finding (0 errors, 0 warnings, 1 info)."),
    # Any other number: interface.md's wording exactly, which scripts parse.
    (["error", "warning"], "Found 2 findings (1 errors, 1 warnings, 0 info)."),
    (["info"] * 3, "Found 3 findings (0 errors, 0 warnings, 3 info)."),
])
def test_summary_line(severities, line):
    from ecslint.engine import Report
    from ecslint.model import Finding, Severity
    from ecslint.report import summary_line

    report = Report(findings=[Finding("ECS101", "n", Severity(s), "m", "a.tf", i + 1, 1)
                              for i, s in enumerate(severities)])
    assert summary_line(report) == line


def test_a_path_that_does_not_exist_is_no_clean_run(module):
    proc = cli("check", "nothere", cwd=module)
    assert (proc.returncode, proc.stdout) == (2, "")  # not "No findings."
    assert proc.stderr == "ecslint: error: nothere: no such file or directory\n"
    # Beside a path that has findings: those are shown, the error comes last.
    proc = cli("check", "infra/task.tf", "nothere", "--no-cache", cwd=module)
    assert proc.returncode == 2
    assert proc.stdout.splitlines()[-1] == "Found 2 findings (0 errors, 2 warnings, 0 info)."
    assert proc.stderr == "ecslint: error: nothere: no such file or directory\n"


def test_usage_errors_come_after_the_report_cached_or_not(module):
    """On a terminal stdout and stderr interleave: the error is the last thing shown, in a
    replay from the result cache as in a fresh run."""
    code = ("import sys\nfrom ecslint import cli\nsys.stderr = sys.stdout\n"
            "sys.argv = ['ecslint', 'check', 'infra/task.tf', 'nothere']\ncli.main()\n")
    env = {**os.environ, "ECSLINT_CACHE_DIR": str(module / "cache")}
    runs = [subprocess.run([sys.executable, "-c", code], cwd=module, capture_output=True,
                           text=True, timeout=120, env=env).stdout for _ in range(2)]
    assert runs[0] == runs[1]
    assert runs[0].splitlines()[-1] == "ecslint: error: nothere: no such file or directory"


def test_write_baseline_says_why_it_exits_2(module):
    proc = cli("check", "infra", "nothere", "--write-baseline", "b.json", cwd=module)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == ["ecslint: wrote 3 findings to b.json",
                                        "ecslint: error: nothere: no such file or directory"]


@pytest.mark.parametrize("env, colored", [
    ({}, False),                                    # a pipe: no colour
    ({"FORCE_COLOR": "1"}, True),                   # asked for (a CI log that shows colour)
    ({"FORCE_COLOR": ""}, False),                   # set but empty: not asked
    ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),  # NO_COLOR wins
])
def test_force_color(module, env, colored):
    base = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "NO_COLOR")}
    proc = subprocess.run([sys.executable, "-m", "ecslint", "check", "infra"], cwd=module,
                          capture_output=True, text=True, timeout=120, env={**base, **env})
    assert ("\033[" in proc.stdout) is colored
    if colored:
        assert proc.stdout.startswith(
            "\033[1minfra/cluster.tf:6:5\033[0m: \033[36mECS402\033[0m ")
    # Never in a file, nor with --no-color.
    for extra in (["--no-color"], ["--output", "out.txt"]):
        proc = subprocess.run([sys.executable, "-m", "ecslint", "check", "infra", *extra],
                              cwd=module, capture_output=True, text=True, timeout=120,
                              env={**base, **env})
        assert "\033[" not in proc.stdout
    assert "\033[" not in (module / "out.txt").read_text()


def test_two_module_instances_do_not_print_the_same_line(tmp_path):
    write(tmp_path, {
        "main.tf": '''
            module "svc" {
              source   = "./modules/svc"
              for_each = { api = 1, worker = 2 }
              name     = each.key
            }
            resource "aws_ecs_cluster" "c" {
              name = "x"
            }
        ''',
        "modules/svc/main.tf": '''
            variable "name" {}
            resource "aws_ecs_task_definition" "this" {
              family                   = var.name
              requires_compatibilities = ["FARGATE"]
              cpu                      = "2048"
              memory                   = "16384"
              container_definitions = jsonencode([{ name = "app", image = "a", memory = 4096 }])
            }
        ''',
    })
    message = ("container 'app' is capped at memory 4096 MiB while 12288 of the task's 16384 "
               "MiB (75%) is assigned to no container: it is OOM-killed (exit 137) while the "
               "task still has free memory")
    where = "modules/svc/main.tf:8:68: ECS103"
    proc = cli("check", ".", "--select", "ECS103", cwd=tmp_path)
    assert proc.stdout.splitlines()[:2] == [
        f'{where} {message} (in module.svc["api"].aws_ecs_task_definition.this)',
        f'{where} {message} (in module.svc["worker"].aws_ecs_task_definition.this)']
    github = cli("check", ".", "--select", "ECS103", "--format", "github", cwd=tmp_path).stdout
    assert len(set(github.splitlines())) == 2
    # A line that is unique anyway stays as it was.
    (cluster,) = [ln for ln in cli("check", ".", "--select", "ECS401", cwd=tmp_path)
                  .stdout.splitlines() if " ECS401 " in ln]
    assert cluster.startswith("main.tf:7:1: ECS401 ") and "(in " not in cluster
    doc = json.loads(cli("check", ".", "--select", "ECS103", "--format", "json",
                         cwd=tmp_path).stdout)
    assert {f["message"] for f in doc["findings"]} == {message}  # the JSON keeps `resource`


def test_doc_urls_carry_the_version_and_the_doc_is_offline_too(tmp_path):
    from ecslint.checks import ALL_RULES

    for rule in ALL_RULES:
        assert rule.url == (f"https://github.com/ecslint/ecslint/blob/v{__version__}/rules/"
                            f"{rule.code}.md")
    doc = cli("rule", "ECS103", cwd=tmp_path)
    assert doc.returncode == 0 and doc.stdout.startswith("# ECS103")


def test_the_hook_skips_named_json_that_is_not_ecs(tmp_path):
    """pre-commit names every changed .json; `--skip-non-ecs-json` (the hook's entry) scopes
    them as a directory walk does. Named without it, a broken JSON file is still ECS001."""
    write(tmp_path, {"tsconfig.json": '{\n  // comments\n  "compilerOptions": {},\n}\n',
                     "empty.json": "",
                     "td.json": '{"family": "x", "containerDefinitions": [,]}\n'})
    skipped = cli("check", "--skip-non-ecs-json", "tsconfig.json", "empty.json", cwd=tmp_path)
    assert (skipped.returncode, skipped.stdout) == (0, "No findings.\n")
    broken = cli("check", "--skip-non-ecs-json", "td.json", cwd=tmp_path)
    assert broken.returncode == 2 and broken.stdout.startswith("td.json:1:42: ECS001 ")
    named = cli("check", "tsconfig.json", cwd=tmp_path)
    assert named.returncode == 2 and " ECS001 invalid JSON" in named.stdout
