"""The kinds of input files ecslint reads, by name: one table for discovery, the JSON
classifier and the result cache's directory filter.

Kept free of imports: the result cache reads it before anything else is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InputKind:
    name: str
    suffixes: tuple[str, ...]
    what: str  # for messages and docs


TERRAFORM = InputKind("terraform", (".tf", ".tf.json"), "Terraform configuration")
TFVARS = InputKind("tfvars", (".tfvars", ".tfvars.json"), "Terraform variable values")
JSON = InputKind("json", (".json",), "task-definition or plan JSON")

INPUT_KINDS: tuple[InputKind, ...] = (TERRAFORM, TFVARS, JSON)
# Longest suffix first, so that `x.tf.json` is Terraform and `x.tfvars.json` variables.
_BY_SUFFIX = sorted(((s, k) for k in INPUT_KINDS for s in k.suffixes), key=lambda p: -len(p[0]))


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
