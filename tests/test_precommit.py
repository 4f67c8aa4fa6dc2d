"""The pre-commit hook, driven by the real pre-commit framework (`pre-commit try-repo`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pre_commit", reason="pre-commit is a test dependency "
                                         "(pip install -e '.[test]')")

CHECKOUT = Path(__file__).resolve().parent.parent

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


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory) -> Path:
    """This checkout as it is on disk (uncommitted and untracked files too), committed.

    try-repo would only add tracked changes of the checkout itself, so it gets a snapshot.
    """
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    try:
        listed = git(CHECKOUT, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    except subprocess.CalledProcessError:
        pytest.skip("not a git checkout")
    repo = tmp_path_factory.mktemp("hook")
    for name in filter(None, listed.split("\0")):
        source = CHECKOUT / name
        if source.is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, repo / name)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "snapshot")
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


def try_repo(project: Path, hook_repo: Path, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never",
           "SKIP": ""}
    return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo),
                           "ecslint", "--color", "never"],
                          cwd=project, env=env, capture_output=True, text=True, timeout=540)


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
