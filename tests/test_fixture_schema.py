"""Fixtures, examples and rule docs use the real ECS API shape, so a misspelt field fails here.

checkov once shipped a check and a fixture that agreed on `privilege` when the ECS field is
`privileged`: both were wrong and every test passed. Here every container definition we feed
the linter (task-definition JSON, Terraform `container_definitions` as evaluated by ecslint
itself, the HCL in rules/*.md and examples/terraform) is validated against a JSON Schema
built at test time from botocore's ECS service model: structures are closed
(additionalProperties false), member types and enums are checked.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

jsonschema = pytest.importorskip("jsonschema")
botocore_session = pytest.importorskip("botocore.session")

from ecslint import discover
from ecslint.cache.fsio import FileSystem
from ecslint.model import is_unknown
from ecslint.sources import taskdef
from helpers import load_root
from ecslint.sources.taskdef import decode_container_definitions

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "rules"
EXAMPLES = REPO / "examples"
RULE_DOCS = REPO / "rules"

# Task-definition JSON forms -> the botocore shape of the whole document.
DOCUMENT_SHAPES = {
    "register": "RegisterTaskDefinitionRequest",
    "describe": "DescribeTaskDefinitionResponse",
    "containers": None,  # a bare list of ContainerDefinition
}


# ------------------------------------------------------------------ schema from botocore

@functools.cache
def _ecs_model():
    return botocore_session.get_session().get_service_model("ecs")


def _shape_schema(shape: Any, defs: dict[str, Any]) -> dict[str, Any]:
    kind = shape.type_name
    if kind == "structure":
        if shape.name not in defs:
            defs[shape.name] = {}  # placeholder: recursive shapes refer to themselves
            defs[shape.name] = {
                "title": shape.name,
                "type": "object",
                "additionalProperties": False,
                "properties": {name: _shape_schema(member, defs)
                               for name, member in shape.members.items()},
                "required": list(shape.required_members),
            }
        return {"$ref": f"#/$defs/{shape.name}"}
    if kind == "list":
        return {"type": "array", "items": _shape_schema(shape.member, defs)}
    if kind == "map":
        return {"type": "object", "additionalProperties": _shape_schema(shape.value, defs)}
    if kind in ("integer", "long"):
        return {"type": "integer"}
    if kind in ("float", "double"):
        return {"type": "number"}
    if kind == "boolean":
        return {"type": "boolean"}
    if kind in ("string", "blob"):
        schema: dict[str, Any] = {"type": "string"}
        if shape.enum:
            schema["enum"] = list(shape.enum)
        return schema
    if kind == "timestamp":
        return {"type": ["string", "number"]}  # ISO 8601 text in CLI output, or epoch
    raise AssertionError(f"botocore shape type {kind} not handled ({shape.name})")


@functools.cache
def schema_for(shape_name: str | None) -> dict[str, Any]:
    """JSON Schema of an ECS shape; None means a bare list of container definitions."""
    defs: dict[str, Any] = {}
    model = _ecs_model()
    if shape_name is None:
        root = {"type": "array", "items": _shape_schema(model.shape_for("ContainerDefinition"),
                                                          defs)}
    else:
        root = _shape_schema(model.shape_for(shape_name), defs)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **root, "$defs": defs}


def problems(doc: Any, shape_name: str | None) -> list[str]:
    """Schema violations as `path: message` lines (empty when the document is valid).

    An unexpected key gets a line of its own, with the nearest real field name.
    """
    validator = jsonschema.Draft202012Validator(schema_for(shape_name))
    out = []
    for error in validator.iter_errors(doc):
        where = [str(p) for p in error.absolute_path]
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            fields = list(error.schema.get("properties", {}))
            for key in error.instance:
                if key not in fields:
                    near = difflib.get_close_matches(key, fields, n=1, cutoff=0.6) or \
                        [f for f in fields if f.lower() == key.lower()]
                    hint = f" (did you mean '{near[0]}'?)" if near else ""
                    out.append(f"{'/'.join(where + [key])}: not a field of ECS "
                               f"{error.schema.get('title', 'object')}{hint}")
        else:
            out.append(f"{'/'.join(where) or '(document)'}: {error.message}")
    return sorted(out)


# ------------------------------------------------------------------ reading the inputs

_DROP = object()


def _known(value: Any) -> Any:
    """The statically known part of an evaluated value, as plain JSON (unknowns dropped)."""
    if is_unknown(value):
        return _DROP
    if isinstance(value, dict):
        return {str(k): v for k, x in value.items() if (v := _known(x)) is not _DROP}
    if isinstance(value, (list, tuple)):
        return [v for x in value if (v := _known(x)) is not _DROP]
    return value


def plain(value: Any) -> Any:
    return json.loads(json.dumps(_known(value)))


def module_container_definitions(directory: Path) -> tuple[list[tuple[str, Any]], int]:
    """(address, container definition list) per task definition of a root module, as
    ecslint evaluates them, and how many task definitions had an unknown list."""
    result = load_root(directory)
    assert not [p for p in result.problems if p.code == "ECS001"], result.problems
    found, unknown = [], 0
    for record in result.records:
        if record.type != "aws_ecs_task_definition":
            continue
        defs = decode_container_definitions(record.values.get("container_definitions"))
        if is_unknown(defs) or not isinstance(defs, list):
            unknown += 1
            continue
        found.append((record.address, plain(defs)))
    return found, unknown


def check_module(directory: Path) -> int:
    """Validate every container definition of a module; the number validated."""
    found, _ = module_container_definitions(directory)
    errors = [f"{address}: {p}" for address, defs in found for p in problems(defs, None)]
    assert not errors, "\n".join(errors)
    return sum(len(defs) for _, defs in found)


def check_json_file(path: Path) -> int:
    doc = json.loads(path.read_text())
    kind = taskdef.classify(doc)
    assert kind is not None, f"{path} is not a task definition in any of the three forms"
    errors = problems(doc, DOCUMENT_SHAPES[kind])
    assert not errors, "\n".join(errors)
    if kind == "describe":
        return len(doc["taskDefinition"]["containerDefinitions"])
    return len(doc if kind == "containers" else doc["containerDefinitions"])


# ------------------------------------------------------------------ the fixtures

def _broken_by_design(path: Path) -> bool:
    """ECS001's bad cases are malformed on purpose."""
    rel = path.relative_to(FIXTURES).parts
    return rel[0] == "ECS001" and rel[1].startswith("bad")


def _fixture_modules() -> list[Path]:
    if not FIXTURES.is_dir():
        return []
    return sorted(d for d in FIXTURES.glob("*/*") if d.is_dir() and not _broken_by_design(d))


def _fixture_json() -> list[Path]:
    if not FIXTURES.is_dir():
        return []
    return sorted(p for p in FIXTURES.rglob("*.json") if not _broken_by_design(p))


def _id(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


@pytest.mark.parametrize("directory", _fixture_modules(), ids=_id)
def test_fixture_module_container_definitions_match_the_ecs_api(directory: Path):
    check_module(directory)


@pytest.mark.parametrize("path", _fixture_json(), ids=_id)
def test_fixture_json_matches_the_ecs_api(path: Path):
    assert check_json_file(path) > 0


def test_the_fixtures_hold_many_container_definitions():
    """Guard against a vacuous pass (everything unknown or nothing found)."""
    total = sum(check_module(d) for d in _fixture_modules())
    total += sum(check_json_file(p) for p in _fixture_json())
    assert total >= 100, total


# ------------------------------------------------------------------ examples/terraform

def _example_roots() -> list[Path]:
    if not (EXAMPLES / "terraform").is_dir():
        return []
    fs = FileSystem()
    roots, _scan = discover.terraform_roots(discover.collect([str(EXAMPLES)], fs), fs)
    return [Path(d) for d in roots]


def _example_json() -> list[Path]:
    if not EXAMPLES.is_dir():
        return []
    out = []
    for path in sorted(EXAMPLES.rglob("*.json")):
        if path.name.endswith(".tf.json"):
            continue
        try:
            doc = json.loads(path.read_text())
        except ValueError:
            continue  # not ours to judge here (ECS001 territory)
        if taskdef.classify(doc) is not None:
            out.append(path)
    return out


def test_examples_container_definitions_match_the_ecs_api():
    roots = _example_roots()
    if not roots:
        pytest.skip("examples/terraform is not there (yet)")
    assert sum(check_module(root) for root in roots) > 0
    for path in _example_json():
        check_json_file(path)


# ------------------------------------------------------------------ rules/*.md

_HEADING = re.compile(r"^## (.+)$", re.MULTILINE)
_HCL_BLOCK = re.compile(r"^```hcl\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _doc_blocks() -> Iterator[tuple[str, str, str]]:
    """(rule code, section, HCL text) for the Example and Use instead blocks of the docs."""
    for doc in sorted(RULE_DOCS.glob("ECS*.md")):
        text = doc.read_text()
        heads = list(_HEADING.finditer(text))
        for i, head in enumerate(heads):
            section = head.group(1).strip()
            if section not in ("Example", "Use instead"):
                continue
            end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
            for n, block in enumerate(_HCL_BLOCK.finditer(text[head.end():end])):
                yield doc.stem, f"{section} {n + 1}", block.group(1)


DOC_BLOCKS = list(_doc_blocks()) if RULE_DOCS.is_dir() else []


@pytest.mark.parametrize("code,section,hcl", DOC_BLOCKS,
                         ids=[f"{c}-{s.replace(' ', '-')}" for c, s, _ in DOC_BLOCKS])
def test_rule_doc_container_definitions_match_the_ecs_api(code, section, hcl, tmp_path):
    (tmp_path / "main.tf").write_text(hcl)
    if code == "ECS001" and section.startswith("Example"):
        pytest.skip("ECS001's example is malformed HCL on purpose")
    check_module(tmp_path)


def test_rule_docs_have_hcl_examples():
    assert len({code for code, _, _ in DOC_BLOCKS}) >= 18


# ------------------------------------------------------------------ the validator bites

def test_the_schema_is_the_real_ecs_container_definition():
    props = schema_for(None)["$defs"]["ContainerDefinition"]["properties"]
    for name in ("name", "image", "cpu", "memory", "memoryReservation", "essential",
                 "healthCheck", "portMappings", "firelensConfiguration", "privileged"):
        assert name in props
    health = schema_for(None)["$defs"]["HealthCheck"]
    assert set(health["properties"]) == {"command", "interval", "timeout", "retries",
                                         "startPeriod"}
    assert health["required"] == ["command"]


def test_misspelt_container_fields_are_caught():
    containers = [
        {"name": "app", "image": "nginx:1.27", "memoryReservations": 256,
         "healthcheck": {"command": ["CMD", "true"]}},
        {"name": "api", "image": "nginx:1.27", "privilege": True,
         "healthCheck": {"command": ["CMD", "true"], "startperiod": 10}},
        {"name": "web", "image": "nginx:1.27", "memory": "512", "essential": "true",
         "portMappings": [{"containerPort": 80, "protocol": "TCP"}]},
    ]
    assert problems(containers, None) == [
        "0/healthcheck: not a field of ECS ContainerDefinition (did you mean 'healthCheck'?)",
        ("0/memoryReservations: not a field of ECS ContainerDefinition "
         "(did you mean 'memoryReservation'?)"),
        ("1/healthCheck/startperiod: not a field of ECS HealthCheck "
         "(did you mean 'startPeriod'?)"),
        "1/privilege: not a field of ECS ContainerDefinition (did you mean 'privileged'?)",
        "2/essential: 'true' is not of type 'boolean'",
        "2/memory: '512' is not of type 'integer'",
        "2/portMappings/0/protocol: 'TCP' is not one of ['tcp', 'udp']",
    ]


def test_misspelt_task_level_fields_are_caught():
    register = {"family": "web", "requiresCompatibility": ["FARGATE"], "networkMode": "AWSVPC",
                "containerDefinitions": [{"name": "web", "image": "nginx:1.27"}]}
    found = "\n".join(problems(register, "RegisterTaskDefinitionRequest"))
    assert "requiresCompatibility: not a field of ECS RegisterTaskDefinitionRequest " \
        "(did you mean 'requiresCompatibilities'?)" in found
    assert "networkMode: 'AWSVPC' is not one of" in found
    describe = {"taskDefinition": {"family": "web", "containerDefinitions": [],
                                   "memoryMiB": "512"}}
    assert problems(describe, "DescribeTaskDefinitionResponse") == [
        "taskDefinition/memoryMiB: not a field of ECS TaskDefinition (did you mean 'memory'?)"]


def test_misspelt_field_in_terraform_is_caught(tmp_path):
    (tmp_path / "main.tf").write_text('''
resource "aws_ecs_task_definition" "web" {
  family                   = "web"
  requires_compatibilities = ["FARGATE"]
  cpu                      = "256"
  memory                   = "512"

  container_definitions = jsonencode([
    {
      name               = "web"
      image              = "public.ecr.aws/nginx/nginx:1.27"
      memoryReservations = 256
      healthCheck = {
        command     = ["CMD-SHELL", "curl -f http://localhost/ || exit 1"]
        startperiod = 30
      }
    }
  ])
}
''')
    with pytest.raises(AssertionError) as caught:
        check_module(tmp_path)
    message = str(caught.value)
    assert "aws_ecs_task_definition.web: 0/memoryReservations: not a field" in message
    assert "aws_ecs_task_definition.web: 0/healthCheck/startperiod: not a field" in message


def test_unknown_values_are_dropped_not_reported(tmp_path):
    (tmp_path / "main.tf").write_text('''
variable "memory" {
  type = number
}

resource "aws_ecs_task_definition" "web" {
  family = "web"

  container_definitions = jsonencode([
    { name = "web", image = "public.ecr.aws/nginx/nginx:1.27", memory = var.memory }
  ])
}
''')
    found, unknown = module_container_definitions(tmp_path)
    assert found == [("aws_ecs_task_definition.web",
                      [{"name": "web", "image": "public.ecr.aws/nginx/nginx:1.27"}])]
    assert unknown == 0
