"""The pre-commit hook, driven by the real pre-commit framework (`pre-commit try-repo`)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from checkout import IDENTITY, OFFLINE_HOOK_ENV, git, snapshot

pytest.importorskip("pre_commit", reason="pre-commit is a test dependency "
                                         "(pip install -e '.[test]')")

LOCALS = '''\
locals {
  task_memory = 2048
}
'''
CLUSTER = '''\
resource "aws_ecs_cluster" "main" {
  name = "main"
}
'''  # ECS401, in a file no commit below touches: never reported by the hook

TASK = '''\
resource "aws_ecs_task_definition" "api" {
  family                   = "api"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = "256"
  memory                   = local.task_memory

  container_definitions = jsonencode([
    {
      name      = "api"
      image     = "example/api:1"
      essential = true
      %s
    },
    {
      name              = "ecs-exporter"
      image             = "quay.io/prometheuscommunity/ecs-exporter:v0.4.0"
      essential         = false
      memoryReservation = 64
    },
  ])
}
'''
GOOD = TASK % "memoryReservation = 512"
BAD = TASK % "memory    = 512"  # ECS103 only if local.task_memory (another file) resolves


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory) -> Path:
    """This checkout as it is on disk, committed (try-repo would only add tracked changes of
    the checkout itself)."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    try:
        git(Path(__file__).parent, "rev-parse", "--git-dir")
    except subprocess.CalledProcessError:
        pytest.skip("not a git checkout")
    repo = tmp_path_factory.mktemp("hook")
    snapshot(repo)
    return repo


@pytest.fixture()
def project(tmp_path) -> Path:
    work = tmp_path / "work"
    (work / "infra").mkdir(parents=True)
    (work / "infra" / "locals.tf").write_text(LOCALS)
    (work / "infra" / "cluster.tf").write_text(CLUSTER)
    (work / "infra" / "ecs.tf").write_text(GOOD)
    git(work, "init", "-q")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "initial")
    return work


def hook_env(home: Path) -> dict[str, str]:
    return {**os.environ, **OFFLINE_HOOK_ENV, "PRE_COMMIT_HOME": str(home),
            "PRE_COMMIT_COLOR": "never", "SKIP": ""}


def try_repo(project: Path, hook_repo: Path, home: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo),
                           "ecslint", "--color", "never"],
                          cwd=project, env=hook_env(home), capture_output=True, text=True,
                          timeout=540)


def test_hook_fails_on_a_bad_change_and_passes_on_a_good_one(project, hook_repo, tmp_path):
    (project / "infra" / "ecs.tf").write_text(BAD)
    git(project, "add", "infra/ecs.tf")
    bad = try_repo(project, hook_repo, tmp_path / "pre-commit-home")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "ecslint..." in bad.stdout and "Failed" in bad.stdout
    assert "Traceback" not in bad.stdout
    assert "infra/ecs.tf:13:7: ECS103 container 'api' is capped at memory 512 MiB while 1472 " \
           "of the task's 2048 MiB (72%) is assigned to no container" in bad.stdout
    assert "Found 1 finding (0 errors, 1 warning, 0 info)." in bad.stdout
    assert "cluster.tf" not in bad.stdout  # ECS401 there is in a file not being committed

    (project / "infra" / "ecs.tf").write_text(GOOD.replace("api:1", "api:2"))
    git(project, "add", "infra/ecs.tf")
    good = try_repo(project, hook_repo, tmp_path / "pre-commit-home")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "ecslint..." in good.stdout and "Passed" in good.stdout
    assert "ECS" not in good.stdout


# Incident 2, as a commit: the task memory goes from 4096 to 16384 in a file other than the
# one holding the container's 4096 MiB hard limit. The finding sits in main.tf; the value
# that decided it is in the committed file: the hook must still reject the commit.
INCIDENT_VARIABLES = '''\
variable "task_memory" {
  type    = number
  default = %s
}
'''
INCIDENT_MAIN = '''\
resource "aws_ecs_task_definition" "reports" {
  family                   = "reports"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = "2048"
  memory                   = var.task_memory

  container_definitions = jsonencode([
    {
      name      = "reports"
      image     = "example/reports:3"
      essential = true
      memory    = 4096
    },
    {
      name              = "ecs-exporter"
      image             = "quay.io/prometheuscommunity/ecs-exporter:v0.4.0"
      essential         = false
      memoryReservation = 64
    },
  ])
}
'''


@pytest.fixture()
def incident(tmp_path) -> Path:
    work = tmp_path / "incident"
    (work / "infra").mkdir(parents=True)
    (work / "infra" / "variables.tf").write_text(INCIDENT_VARIABLES % "4096")
    (work / "infra" / "main.tf").write_text(INCIDENT_MAIN)
    git(work, "init", "-q")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "a 4 GB task: the container's limit is the task's")
    return work


@pytest.mark.parametrize("edit", ["variables.tf", "terraform.tfvars"])
def test_incident_2_edit_is_rejected_wherever_the_memory_is_set(incident, hook_repo, tmp_path,
                                                                edit):
    if edit == "variables.tf":
        (incident / "infra" / "variables.tf").write_text(INCIDENT_VARIABLES % "16384")
    else:
        (incident / "infra" / "terraform.tfvars").write_text("task_memory = 16384\n")
    git(incident, "add", f"infra/{edit}")
    run = try_repo(incident, hook_repo, tmp_path / "pre-commit-home")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Failed" in run.stdout and "Traceback" not in run.stdout
    # The finding is where the container's limit is, and it was reported because the
    # committed file decided it (its related location).
    assert "infra/main.tf:13:7: ECS103 container 'reports' is capped at memory 4096 MiB " \
           "while 12224 of the task's 16384 MiB (75%) is assigned to no container" in run.stdout


# ------------------------------------------------------------------ the README's snippets

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"^```(\w+)\n(.*?)^```$", README, re.S | re.M)
URL = "https://github.com/ecslint/ecslint"
NOT_ECS_JSON = {
    "tsconfig.json": '{\n  // comments, as TypeScript allows\n  "compilerOptions": {},\n}\n',
    ".devcontainer/devcontainer.json": '{"name": "dev", "image": "python:3.12",}\n',
    "empty.json": "",
}


def readme_blocks(lang: str, containing: str) -> list[str]:
    return [body for kind, body in BLOCKS if kind == lang and containing in body]


def commit(project: Path, home: Path, message: str) -> tuple[int, str]:
    """A real `git commit`, which runs the installed hook: its exit code and output."""
    done = subprocess.run(["git", "commit", "-q", "-m", message], cwd=project,
                          env={**hook_env(home), **IDENTITY}, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=540)
    return done.returncode, done.stdout


def follow_the_readme(project: Path, hook_repo: Path, home: Path, config: str) -> str:
    """Write the README's config (its repo: this checkout's snapshot), run its commands;
    the config as autoupdate left it."""
    (project / ".pre-commit-config.yaml").write_text(config.replace(URL, str(hook_repo)))
    (steps,) = readme_blocks("sh", "pre-commit autoupdate")
    for line in steps.splitlines():
        argv = shlex.split(line.replace(URL, str(hook_repo)))
        assert argv[0] == "pre-commit", line
        done = subprocess.run([sys.executable, "-m", "pre_commit", *argv[1:]], cwd=project,
                              env=hook_env(home), capture_output=True, text=True, timeout=540)
        assert done.returncode == 0, done.stdout + done.stderr
    git(project, "add", ".pre-commit-config.yaml")
    return (project / ".pre-commit-config.yaml").read_text()


def test_the_readme_snippet_pins_the_hook_and_blocks_a_bad_commit(project, hook_repo, tmp_path):
    plain, _ = readme_blocks("yaml", "repos:")
    home = tmp_path / "pre-commit-home"
    config = follow_the_readme(project, hook_repo, home, plain)
    # autoupdate pinned the placeholder to a commit the repository has.
    assert f"rev: {git(hook_repo, 'rev-parse', 'HEAD').strip()}" in config
    assert "COMMIT" not in config

    (project / "infra" / "ecs.tf").write_text(BAD)
    git(project, "add", "infra/ecs.tf")
    code, out = commit(project, home, "bad")
    assert code == 1, out
    assert "infra/ecs.tf:13:7: ECS103 container 'api' is capped at memory 512 MiB" in out
    assert "Traceback" not in out

    # JSON that is not ECS (JSONC, trailing commas, empty) never blocks a commit.
    (project / "infra" / "ecs.tf").write_text(GOOD)
    for name, text in NOT_ECS_JSON.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    git(project, "add", "-A")
    code, out = commit(project, home, "good")
    assert code == 0, out
    assert "ecslint" in out and "Passed" in out


def test_the_readme_snippet_with_args(project, hook_repo, tmp_path):
    _, with_args = readme_blocks("yaml", "repos:")
    assert "--baseline, .ecslint-baseline.json" in with_args
    home = tmp_path / "pre-commit-home"
    follow_the_readme(project, hook_repo, home, with_args)
    # The baseline the args name (README, Baseline): ECS401 in cluster.tf is recorded.
    done = subprocess.run([sys.executable, "-m", "ecslint", "check", "--write-baseline",
                           ".ecslint-baseline.json"], cwd=project, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    git(project, "add", ".ecslint-baseline.json")
    assert commit(project, home, "adopt ecslint")[0] == 0
    # A new warning (ECS103) does not block: the args fail on errors only.
    (project / "infra" / "ecs.tf").write_text(BAD)
    git(project, "add", "infra/ecs.tf")
    code, out = commit(project, home, "warning only")
    assert code == 0 and "Passed" in out, out
