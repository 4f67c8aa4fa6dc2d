"""README's CI section: the snippets are copy-pasteable (they parse, validate and name real
things)."""

from __future__ import annotations

import re
import shlex
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
        assert (repo["repo"], repo["rev"]) == ("https://github.com/ecslint/ecslint", "v0.1.0")
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
    assert (hook["id"], hook["language"], hook["entry"]) == ("ecslint", "python", "ecslint check")
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
