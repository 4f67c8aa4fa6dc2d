"""The README: its CI section's snippets are copy-pasteable (they parse, validate and name
real things), and every command in it runs as written."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import click
import pytest
import tomllib

from ecslint import resources
from ecslint.checks.base import DEFAULT_OPTIONS
from ecslint.cli import app
from ecslint.cache.fsio import FileSystem
from ecslint.config import find_config, load_settings, validate
from ecslint.model import Severity
from checkout import IDENTITY, git, setuptools_wheels, snapshot

yaml = pytest.importorskip("yaml", reason="PyYAML comes with pre-commit (a test dependency)")

ROOT = Path(__file__).resolve().parent.parent
_README = (ROOT / "README.md").read_text(encoding="utf-8")
DOC = _README[_README.index("\n## In pre-commit and CI\n"):_README.index("<!-- end of CI section -->")]
BLOCKS = re.findall(r"^```(\w+)\n(.*?)^```$", DOC, re.S | re.M)


def blocks(lang: str, containing: str = "") -> list[str]:
    return [body for kind, body in BLOCKS if kind == lang and containing in body]


def manifest() -> list[dict]:
    from pre_commit.clientlib import load_manifest

    return load_manifest(str(ROOT / ".pre-commit-hooks.yaml"))


def test_every_block_has_a_language_and_yaml_parses():
    assert len(re.findall(r"^```", DOC, re.M)) == 2 * len(BLOCKS)
    assert {kind for kind, _ in BLOCKS} == {"yaml", "sh", "toml"}
    for body in blocks("yaml"):
        yaml.safe_load(body)


def test_pre_commit_snippets_are_valid_configs(tmp_path):
    from pre_commit.clientlib import load_config

    snippets = blocks("yaml", "repos:")
    assert len(snippets) == 2
    hook_ids = {hook["id"] for hook in manifest()}
    for i, body in enumerate(snippets):
        path = tmp_path / f"config{i}.yaml"
        path.write_text(body)
        config = load_config(str(path))
        (repo,) = config["repos"]
        # COMMIT: `pre-commit autoupdate` pins it (tests/test_precommit.py runs that).
        assert (repo["repo"], repo["rev"]) == ("https://github.com/ecslint/ecslint", "COMMIT")
        assert [hook["id"] for hook in repo["hooks"]] == ["ecslint"]
        assert {hook["id"] for hook in repo["hooks"]} <= hook_ids
        for hook in repo["hooks"]:
            parse_command(["ecslint", "check", *hook.get("args", []), "a.tf"])


def hook_takes(hook: dict, filename: str) -> bool:
    """pre-commit's own selection: files/exclude regexes, then types, types_or, exclude_types."""
    from identify.identify import tags_from_filename

    tags = tags_from_filename(filename) | {"file"}
    return (re.search(hook["files"], filename) is not None
            and re.search(hook["exclude"], filename) is None
            and set(hook["types"]) <= tags
            and (not hook["types_or"] or bool(set(hook["types_or"]) & tags))
            and not set(hook["exclude_types"]) & tags)


def test_hook_manifest():
    (hook,) = manifest()
    assert (hook["id"], hook["language"], hook["entry"]) == (
        "ecslint", "python", "ecslint check --skip-non-ecs-json")
    parse_command(hook["entry"].split() + ["a.tf"])
    assert hook["pass_filenames"] is True
    # Variable files are taken: a finding they decide (a task memory set there) is reported.
    taken = ["main.tf", "infra/ecs.tf", "infra/ecs.tf.json", "taskdefs/api.json", "plan.json",
             "terraform.tfvars", "prod.auto.tfvars", "prod.tfvars.json"]
    skipped = [".terraform.lock.hcl", "main.py", "README.md", "tf", "x.tftpl"]
    assert [f for f in taken + skipped if hook_takes(hook, f)] == taken


def parse_command(argv: list[str]) -> click.Context:
    """Parse an `ecslint ...` command line as the CLI would, without running it."""
    assert argv[0] == "ecslint", argv
    command = app.get_command(click.Context(app), argv[1])
    assert command is not None, argv
    return command.make_context(argv[1], argv[2:])


def commands() -> list[list[str]]:
    lines = []
    for body in blocks("sh"):
        lines += [ln.split(" #")[0] for ln in body.splitlines()]
    for body in blocks("yaml", "jobs:") + blocks("yaml", "script:") + blocks("yaml", "- run:"):
        lines += re.findall(r"(?:run:|- ) *(ecslint .*)", body)
    out = []
    for line in lines:
        for part in line.split("&&"):
            argv = shlex.split(part.split(">")[0])
            if argv and argv[0] == "ecslint":
                out.append(argv)
    return out


def test_every_command_line_parses():
    found = commands()
    assert len(found) >= 10
    for argv in found:
        parse_command(argv)


@pytest.mark.parametrize("argv", [["ecslint", "check", "--format", "xml"],
                                  ["ecslint", "check", "--formt", "json"]])
def test_command_parser_rejects_what_the_cli_rejects(argv):
    with pytest.raises(click.UsageError):
        parse_command(argv)


def test_github_actions_workflow():
    (body,) = blocks("yaml", "jobs:")
    workflow = yaml.safe_load(body)
    assert workflow["permissions"] == {"contents": "read", "security-events": "write"}
    steps = workflow["jobs"]["ecslint"]["steps"]
    (lint,) = [s for s in steps if s.get("run", "").startswith("ecslint ")]
    ctx = parse_command(shlex.split(lint["run"]))
    assert ctx.params["format"] == "sarif"
    (upload,) = [s for s in steps if "upload-sarif" in s.get("uses", "")]
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert upload["with"]["sarif_file"] == ctx.params["output"]
    assert steps.index(upload) > steps.index(lint)
    assert "cancelled()" in upload["if"]


def test_gitlab_ci_job():
    (body,) = blocks("yaml", "artifacts:")
    job = yaml.safe_load(body)["ecslint"]
    (lint,) = [line for line in job["script"] if line.startswith("ecslint ")]
    ctx = parse_command(shlex.split(lint))
    assert ctx.params["format"] == "junit"
    assert job["artifacts"]["reports"]["junit"] == ctx.params["output"]
    assert job["artifacts"]["when"] == "always"


@pytest.mark.parametrize("name, table_of", [
    ("pyproject.toml", lambda doc: doc["tool"]["ecslint"]),
    (".ecslint.toml", lambda doc: doc),
])
def test_config_examples_validate_and_load(tmp_path, monkeypatch, name, table_of):
    wanted = "[tool.ecslint]" if name == "pyproject.toml" else "[per-file-ignores]"
    (body,) = [b for b in blocks("toml") if wanted in b and
               (name != ".ecslint.toml" or "[tool.ecslint]" not in b)]
    validate(table_of(tomllib.loads(body)), name)
    (tmp_path / name).write_text(body)
    monkeypatch.chdir(tmp_path)
    settings = load_settings(None)
    assert find_config(str(tmp_path), FileSystem())[0] == str(tmp_path / name)
    if name == "pyproject.toml":
        assert settings.severity == {"ECS401": Severity.ERROR, "ECS302": Severity.INFO}
        assert settings.services == {"checkout": {"health_check_cpu_ms": 200,
                                                  "peak_utilization": 0.8}}
        assert settings.options == DEFAULT_OPTIONS | {"stats_sidecar_images": [
            "*/otel-collector-contrib*", "registry.example.com/metrics/*"]}
    else:
        assert settings.fail_on == Severity.ERROR


def test_configuration_reference_names_every_key():
    schema = resources.load_json("config-schema.json")
    for key in list(schema["properties"]) + list(schema["$defs"]["options"]["properties"]):
        assert f"| `{key}" in DOC, key
    for option, default in DEFAULT_OPTIONS.items():
        shown = "unset" if default is None else "`[]`" if default == [] else f"`{default:g}`"
        assert f"| `{option}` | {shown} |" in DOC, option


# ------------------------------------------------------------------ every README command runs
#
# Every command line of the README (sh blocks, `$ ` lines of console blocks, the `run:` and
# `script:` steps of CI snippets) is run here as written, in a sandbox project: ecslint and
# git through bash, with an `ecslint` on PATH that is this checkout; the audit against moto's
# server on loopback; pip into a temporary target, from a snapshot of this checkout (a path,
# and a git URL pinned to its commit); pre-commit in tests/test_precommit.py; terraform with
# the local provider mirror. Nothing reaches the network.

URL = "https://github.com/ecslint/ecslint"
ALL_BLOCKS = re.findall(r"^```(\w*)\n(.*?)^```$", _README, re.S | re.M)


def readme_commands() -> list[str]:
    """Every command line of the README, in order, split at `&&`."""
    lines = []
    for kind, body in ALL_BLOCKS:
        if kind == "sh":
            lines += [ln.split(" #")[0].strip() for ln in body.splitlines()
                      if not ln.startswith("#")]
        elif kind == "console":
            lines += [ln[2:] for ln in body.splitlines() if ln.startswith("$ ")]
        elif kind == "yaml":
            lines += re.findall(r"^\s*(?:- )?run: *(.*)$", body, re.M)
            if "script:" in body:
                lines += yaml.safe_load(body)["ecslint"]["script"]
    return [part.strip() for line in lines for part in line.split("&&") if part.strip()]


def kind(command: str) -> str:
    if re.match(r"(python3 -m )?pip install ", command):
        return "install"
    if command == "python3 -m pytest -q":
        return "tests"
    if command.startswith("terraform "):
        return "terraform"
    if command.startswith("pre-commit "):
        return "pre-commit"
    if "_ECSLINT_COMPLETE=" in command:
        return "completion"
    if command.startswith("ecslint audit"):
        return "audit"
    if command.startswith(("ecslint ", "git add ")):
        return "project"
    return "unknown"


COMMANDS = readme_commands()


def test_every_readme_command_is_run_by_a_test():
    kinds = {c: kind(c) for c in COMMANDS}
    assert [c for c, k in kinds.items() if k == "unknown"] == []
    counts = {k: sum(1 for v in kinds.values() if v == k) for k in set(kinds.values())}
    assert counts["project"] >= 12 and counts["audit"] == 4 and counts["install"] >= 4
    assert counts["completion"] == 3 and counts["pre-commit"] == 2
    # Inline commands in the prose parse as the CLI would take them (a synopsis with
    # placeholders is not a command).
    inline = [c for c in re.findall(r"`(ecslint [^`]*)`", _README)
              if not re.search(r"[\[.]|\b[A-Z]{3,}\b", c.replace("ECS", "ecs"))]
    assert len(inline) >= 3
    for command in inline:
        parse_command(shlex.split(command))


def test_the_test_command_is_what_ci_runs():
    (command,) = [c for c in COMMANDS if kind(c) == "tests"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python3 -m pip install -q -e '.[test]' && python3 -m pytest -q" in ci
    assert command in ci and "python3 -m pip install -e '.[test]'" in COMMANDS
    assert "test" in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]


@pytest.fixture(scope="module")
def shim(tmp_path_factory) -> dict[str, str]:
    """An environment whose `ecslint` is this checkout, with its own result cache."""
    bin_dir = tmp_path_factory.mktemp("bin")
    (bin_dir / "ecslint").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m ecslint "$@"\n')
    (bin_dir / "ecslint").chmod(0o755)
    return {**os.environ, **IDENTITY, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            "PYTHONPATH": str(ROOT), "ECSLINT_CACHE_DIR": str(bin_dir / "cache"),
            "NO_COLOR": "1"}


def sandbox(top: Path) -> Path:
    """A project as the README's commands expect one: the example, infra/, a task
    definition under taskdefs/, a plan, in a git repository."""
    shutil.copytree(ROOT / "examples" / "terraform", top / "examples" / "terraform")
    shutil.copytree(ROOT / "tests" / "fixtures" / "config" / "infra", top / "infra")
    (top / "taskdefs").mkdir()
    shutil.copy(ROOT / "tests" / "fixtures" / "rules" / "ECS201" / "bad.json",
                top / "taskdefs" / "api.json")
    shutil.copy(ROOT / "tests" / "fixtures" / "plan" / "fargate_basic" / "plan.json",
                top / "plan.json")
    git(top, "init", "-q")
    git(top, "add", "-A")
    git(top, "commit", "-q", "-m", "project")
    return top


def bash(command: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def test_the_readme_project_commands_run(tmp_path, shim):
    project = sandbox(tmp_path / "project")
    ran = {}
    for command in [c for c in COMMANDS if kind(c) == "project"]:
        done = bash(command, project, shim)
        assert done.returncode in (0, 1), (command, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr, command
        ran[command] = done
    assert ran["ecslint check examples/terraform"].stdout == \
        (ROOT / "examples" / "terraform" / "expected-output.txt").read_text()
    assert ran["ecslint check"].returncode == 1
    assert ran["ecslint rule ECS103"].stdout.startswith("# ECS103")
    # After the baseline is written and added, nothing old is reported.
    assert (ran["ecslint check --baseline .ecslint-baseline.json"].returncode,
            ran["ecslint check --baseline .ecslint-baseline.json"].stdout) == (0, "No findings.\n")
    # What the CI snippets write is what their hosts read.
    from test_sarif import github_ingestion_problems

    sarif = json.loads((project / "ecslint.sarif").read_text())
    files = set(git(project, "ls-files").split())
    assert sarif["runs"][0]["results"] and github_ingestion_problems(sarif, files) == []
    junit = ET.parse(project / "ecslint-junit.xml").getroot()
    assert int(junit.get("failures")) > 0 and junit.get("tests") == str(
        len(list(junit.iter("testcase"))))
    assert json.loads((project / "ecslint.json").read_text())["summary"]["findings"] > 0
    assert ran["ecslint check --format github"].stdout.startswith("::")


def test_the_readme_completion_works(shim):
    lines = [c for c in COMMANDS if kind(c) == "completion"]
    bash_line = next(c for c in lines if "bash_source" in c)
    done = bash(f'{bash_line}\nCOMP_WORDS=(ecslint ch); COMP_CWORD=1\n'
                '_ecslint_completion ecslint\n'
                'printf "%s\\n" "${COMPREPLY[@]}"', Path.cwd(), shim)
    assert done.returncode == 0, done.stderr
    assert "check" in done.stdout.split()
    for shell, marker in (("zsh", "compdef"), ("fish", "complete --no-files --command ecslint")):
        (line,) = [c for c in lines if f"{shell}_source" in c]
        script = bash(line.split("|")[0].replace('eval "$(', "").rstrip(')"'), Path.cwd(),
                      shim)
        assert marker in script.stdout, (shell, script.stdout[:200])
        if shutil.which(shell):
            run = subprocess.run([shell, "-c", line], env=shim, capture_output=True,
                                 text=True, timeout=60)
            assert run.returncode == 0, (shell, run.stderr)


def test_the_readme_terraform_plan_command(tmp_path, shim):
    """`terraform show -json plan.out > plan.json && ecslint check plan.json`, with a plan
    made offline as tests/fixtures/plan/regen.sh makes its fixtures."""
    assert [c for c in COMMANDS if kind(c) == "terraform"] == [
        "terraform show -json plan.out > plan.json"]
    (command,) = [ln.split(" #")[0].strip() for kind_, body in ALL_BLOCKS if kind_ == "sh"
                  for ln in body.splitlines() if ln.startswith("terraform show")]
    mirror = Path(os.environ.get("TF_PLUGIN_MIRROR", "/opt/tf-plugins"))
    if shutil.which("terraform") is None or not mirror.is_dir():
        pytest.skip("terraform or its provider mirror is not installed")
    work = tmp_path / "tf"
    work.mkdir()
    shutil.copy(ROOT / "tests" / "fixtures" / "plan" / "fargate_basic" / "main.tf", work)
    rc = tmp_path / "terraform.rc"
    rc.write_text(f'provider_installation {{\n  filesystem_mirror {{\n    path = "{mirror}"\n'
                  '    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n'
                  '  direct {\n    exclude = ["registry.terraform.io/hashicorp/aws"]\n  }\n}\n')
    env = {**shim, "TF_CLI_CONFIG_FILE": str(rc), "TF_IN_AUTOMATION": "1", "TF_INPUT": "0",
           "CHECKPOINT_DISABLE": "1"}
    for step in ("terraform init -input=false -no-color",
                 "terraform plan -input=false -refresh=false -no-color -out plan.out"):
        done = bash(step, work, env)
        assert done.returncode == 0, done.stdout + done.stderr
    done = bash(command, work, env)
    assert done.returncode == 1, done.stdout + done.stderr  # the plan has findings
    assert done.stdout.startswith("plan.json:")


# ------------------------------------------------------------------ install as written

@pytest.fixture(scope="module")
def source(tmp_path_factory) -> tuple[Path, str]:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path_factory.mktemp("ecslint-source")
    return repo, snapshot(repo)


def pip_install(spec: str, cwd: Path, target: Path) -> None:
    """pip as the README runs it, into `target`, offline: dependencies are already here, and
    the build's setuptools comes from a local wheel."""
    wheels = setuptools_wheels()
    if wheels is None:
        pytest.skip("no local setuptools >= 77 wheel to build ecslint offline")
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index",
                           "--find-links", str(wheels), "--target", str(target), spec],
                          cwd=cwd, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PIP_CONFIG_FILE": os.devnull})
    assert done.returncode == 0, done.stdout + done.stderr


def installed(target: Path, *args: str, cwd: Path, env=None) -> subprocess.CompletedProcess:
    """The installed console script, its package first on the path."""
    return subprocess.run([str(target / "bin" / "ecslint"), *args], cwd=cwd,
                          env={**(env or os.environ), "PYTHONPATH": str(target)},
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("command", sorted({c for c in COMMANDS if kind(c) == "install"}))
def test_the_readme_install_commands(command, source, tmp_path):
    repo, commit = source
    argv = shlex.split(command)
    spec = argv[argv.index("install") + 1:]
    if spec == ["-e", ".[test]"]:
        return  # the test command: tests/.ci/run install exactly that (see above)
    (spec,) = spec
    target = tmp_path / "site"
    if spec == ".":
        pip_install(".", repo, target)  # in a clone
    else:
        assert spec == f"git+{URL}@COMMIT", spec
        pip_install(spec.replace(URL, repo.as_uri()).replace("COMMIT", commit), tmp_path,
                    target)
    version = installed(target, "--version", cwd=tmp_path)
    assert version.stdout == "ecslint 0.1.0\n"
    example = installed(target, "check", str(ROOT / "examples" / "terraform"), "--no-cache",
                        cwd=tmp_path)
    assert example.returncode == 1 and "ECS103" in example.stdout
    assert (target / "ecslint-0.1.0.dist-info" / "licenses" / "LICENSE").is_file()


# ------------------------------------------------------------------ the audit, as written

@pytest.fixture(scope="module")
def aws(tmp_path_factory):
    """moto's server on loopback with the seeded account in the README's two regions, and
    the profile the README names (fake keys)."""
    boto3 = pytest.importorskip("boto3")
    from moto.server import ThreadedMotoServer

    from test_audit_kit import apply_env, fake_aws_env, free_port, seed_account

    port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    env = fake_aws_env(f"http://127.0.0.1:{port}")
    home = tmp_path_factory.mktemp("aws")
    (home / "config").write_text("[profile prod-readonly]\nregion = us-east-1\n")
    (home / "credentials").write_text("[prod-readonly]\naws_access_key_id = testing\n"
                                      "aws_secret_access_key = testing\n")
    env.update(AWS_CONFIG_FILE=str(home / "config"),
               AWS_SHARED_CREDENTIALS_FILE=str(home / "credentials"))
    try:
        with pytest.MonkeyPatch.context() as monkeypatch:
            apply_env(monkeypatch, env)
            for region in ("us-east-1", "eu-west-1"):
                session = boto3.Session(region_name=region)
                seed_account(lambda name: session.client(name))
        yield env
    finally:
        moto.stop()


def test_the_readme_audit_commands_run(aws, shim, tmp_path):
    shutil.copytree(ROOT / "tests" / "fixtures" / "audit" / "terraform", tmp_path / "infra")
    env = {**shim, **aws, "PATH": shim["PATH"], "PYTHONPATH": shim["PYTHONPATH"]}
    commands = [c for c in COMMANDS if kind(c) == "audit"]
    for command in commands:
        done = bash(command, tmp_path, env)
        # The seeded account has findings in every region audited: exit 1, never 2.
        assert done.returncode == 1, (command, done.stdout, done.stderr)
        assert done.stderr == "", (command, done.stderr)
        if "--format json" in command:
            doc = json.loads(done.stdout)
            assert doc["findings"] and doc["not_verified"] == []
    assert (tmp_path / "audit.html").read_text().startswith("<!DOCTYPE html>")
    first = bash(commands[0], tmp_path, env).stdout
    assert first.startswith("Live audit of account 123456789012, region eu-west-1")
