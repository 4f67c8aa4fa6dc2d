"""Task-definition JSON in its three forms, other JSON skipped, locations in the file."""

from __future__ import annotations

import json

import pytest

from ecslint.sources import jsonpos
from helpers import codes, lint

CONTAINER = {"name": "app", "image": "nginx:1.25", "essential": True, "memory": 4096}
TASK = {"family": "app", "requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc",
        "cpu": "2048", "memory": "16384", "containerDefinitions": [CONTAINER]}


@pytest.mark.parametrize("doc", [
    TASK,  # register-task-definition input
    {"taskDefinition": {**TASK, "taskDefinitionArn": "arn:aws:ecs:us-east-1:1:task-definition/app:3",
                        "revision": 3}, "tags": []},  # describe-task-definition output
], ids=["register", "describe"])
def test_task_definition_forms_are_checked(tmp_path, doc):
    path = tmp_path / "td.json"
    path.write_text(json.dumps(doc, indent=2))
    report = lint([path])
    # Incident 2: a 16 GB Fargate task whose container is capped at 4 GB.
    assert "ECS103" in codes(report)
    f = next(f for f in report.findings if f.code == "ECS103")
    assert f.resource == "app" and f.container == "app"
    text = path.read_text().splitlines()
    assert '"memory": 4096' in text[f.line - 1]  # points at the container's memory
    assert f.column == text[f.line - 1].index('"memory"') + 1


def test_bare_container_list_is_checked_as_an_ec2_task(tmp_path):
    path = tmp_path / "containers.json"
    path.write_text(json.dumps([{"name": "web", "image": "nginx", "essential": True}], indent=1))
    report = lint([path])
    assert "ECS101" in codes(report)  # no task memory, no container memory (EC2 default)


@pytest.mark.parametrize("doc", [
    {"name": "my-package", "version": "1.0.0", "dependencies": {}},
    [1, 2, 3],
    {"Version": "2012-10-17", "Statement": []},
    [{"key": "a", "value": "b"}],
])
def test_other_json_is_skipped_silently(tmp_path, doc):
    (tmp_path / "other.json").write_text(json.dumps(doc))
    report = lint([tmp_path / "other.json"])
    assert report.findings == [] and not report.usage_errors


def test_string_sizes_are_understood(tmp_path):
    doc = {**TASK, "cpu": "1 vCPU", "memory": "3 GB",
           "containerDefinitions": [{**CONTAINER, "memory": 512,
                                     "memoryReservation": 256}]}
    (tmp_path / "td.json").write_text(json.dumps(doc))
    report = lint([tmp_path / "td.json"], )
    assert "ECS105" not in codes(report)  # 1024 CPU / 3072 MiB is a valid Fargate size
    assert "ECS103" in codes(report)  # 512 of 3072 assigned: 83% unassigned


def test_positioned_decoder_matches_json_module():
    text = '{"a": [1, 2.5, -3e2, true, null, "x\\u00e9\\n"], "b": {"c": {}} }'
    assert jsonpos.loads(text) == json.loads(text)
    doc = jsonpos.loads('{\n  "k": [\n    7\n  ]\n}', "f.json")
    assert (doc.pos["k"].line, doc.pos["k"].column) == (2, 3)
    assert (doc["k"].pos[0].line, doc["k"].pos[0].column) == (3, 5)


@pytest.mark.parametrize("text,line,col", [
    ('{"a": 1,}', 1, 9),
    ('{\n  "a": [1 2]\n}', 2, 11),
    ('[1, 2', 1, 6),
])
def test_positioned_decoder_reports_error_positions(text, line, col):
    with pytest.raises(jsonpos.JsonError) as err:
        jsonpos.loads(text)
    assert (err.value.line, err.value.column) == (line, col)


# JSON scope: a directory walk meets JSON that is not ECS, much of it not strict JSON.
JSONC = {
    "tsconfig.json": '{\n  // the TypeScript compiler reads comments\n  "compilerOptions": {\n'
                     '    "strict": true,\n  },\n}\n',
    ".devcontainer/devcontainer.json": '{\n  "name": "dev",\n  /* a block comment */\n'
                                       '  "image": "mcr.microsoft.com/devcontainers/base",\n'
                                       '  "features": {},\n}\n',
    ".vscode/settings.json": '{\n  "editor.formatOnSave": true, // trailing\n}\n',
    "empty.json": "",
    "package.json": '{"name": "x", "version": "1.0.0",}\n',
}
GOOD_TF = {"main.tf": 'resource "aws_ecs_cluster" "c" {\n  name = "prod"\n}\n'}


def _write(root, files):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_jsonc_and_empty_json_in_a_directory_walk_are_skipped(tmp_path):
    _write(tmp_path, {**JSONC, **GOOD_TF})
    # Hidden directories are not walked; the visible ones still hold JSONC.
    _write(tmp_path, {"web/tsconfig.json": JSONC["tsconfig.json"],
                      "web/devcontainer.json": JSONC[".devcontainer/devcontainer.json"]})
    report = lint([tmp_path])
    assert "ECS001" not in codes(report)
    assert "ECS401" in codes(report)  # the Terraform beside them is still checked


@pytest.mark.parametrize("text", [
    '{"family": "api", "containerDefinitions": [{"name": "api",}]}',  # trailing comma
    '[{"name": "api", "image": "nginx", "essential": true,}]',  # a bare container list
    '{"format_version": "1.2", "planned_values": {',  # a truncated plan
])
def test_a_broken_file_that_looks_like_an_ecs_input_is_reported(tmp_path, text):
    _write(tmp_path, {"deploy/td.json": text, **GOOD_TF})
    report = lint([tmp_path])
    errors = [f for f in report.findings if f.code == "ECS001"]
    assert [f.file.endswith("td.json") for f in errors] == [True]
    assert errors[0].message.startswith("invalid JSON")


@pytest.mark.parametrize("name", sorted(JSONC))
def test_a_named_file_that_does_not_parse_is_reported(tmp_path, name, monkeypatch):
    _write(tmp_path, JSONC)
    monkeypatch.chdir(tmp_path)
    report = lint([name])
    assert codes(report) == ["ECS001"]


def test_a_broken_ecs_file_named_beside_a_directory_is_reported(tmp_path):
    _write(tmp_path, {"infra/main.tf": GOOD_TF["main.tf"], "tsconfig.json": JSONC["tsconfig.json"]})
    report = lint([tmp_path / "infra", tmp_path / "tsconfig.json"])
    assert "ECS001" in codes(report)
