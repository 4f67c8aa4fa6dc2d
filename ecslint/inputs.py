"""The kinds of input files ecslint reads, by name: one table for discovery, the JSON
classifier and the result cache's directory filter.

Kept free of imports: the result cache reads it before anything else is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InputKind:
    """A kind of input file, by name suffix."""

    name: str
    suffixes: tuple[str, ...]
    what: str  # for messages and docs


TERRAFORM = InputKind("terraform", (".tf", ".tf.json"), "Terraform configuration")
TFVARS = InputKind("tfvars", (".tfvars", ".tfvars.json"), "Terraform variable values")
JSON = InputKind("json", (".json",), "task-definition or plan JSON")

INPUT_KINDS: tuple[InputKind, ...] = (TERRAFORM, TFVARS, JSON)
# Longest suffix first, so that `x.tf.json` is Terraform and `x.tfvars.json` variables.
_BY_SUFFIX = sorted(((s, k) for k in INPUT_KINDS for s in k.suffixes), key=lambda p: -len(p[0]))


@dataclass(frozen=True)
class JsonShape:
    """A kind of JSON document ecslint reads, by the keys its text names: a JSON file that
    does not parse is reported only when its text looks like one of these (a walk meets
    many other JSON files: tsconfig.json with comments, editor settings)."""

    name: str
    markers: tuple[tuple[str, ...], ...]  # groups of keys; every key of a group named


JSON_SHAPES: tuple[JsonShape, ...] = (
    JsonShape("task definition", (("containerDefinitions",), ("taskDefinition", "family"),
                                  ("image", "essential"), ("image", "portMappings"))),
    JsonShape("plan", (("format_version", "planned_values"), ("format_version", "values"),
                       ("format_version", "resource_changes"))),
)


def json_shape(text: str) -> JsonShape | None:
    """The ECS document kind whose keys the text names, or None."""
    for shape in JSON_SHAPES:
        if any(all(f'"{key}"' in text for key in group) for group in shape.markers):
            return shape
    return None


def kind_of(name: str) -> InputKind | None:
    """The kind of a file by its name, or None when ecslint does not read such files."""
    for suffix, kind in _BY_SUFFIX:
        if name.endswith(suffix):
            return kind
    return None


def is_input(name: str) -> bool:
    return kind_of(name) is not None


def is_terraform(name: str) -> bool:
    return kind_of(name) is TERRAFORM


def is_auto_tfvars(name: str) -> bool:
    """`*.auto.tfvars[.json]`, which Terraform loads automatically (as glob lists them: not
    hidden files)."""
    return not name.startswith(".") and name.endswith((".auto.tfvars", ".auto.tfvars.json"))
