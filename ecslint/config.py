"""Configuration: `[tool.ecslint]` in pyproject.toml or `.ecslint.toml`, JSON-Schema checked."""

from __future__ import annotations

import json
import os
import re
from typing import Any

from ecslint.cache.fsio import FileSystem
from ecslint.checks.base import DEFAULT_OPTIONS
from ecslint.model import Severity
from ecslint.settings import Settings

PYPROJECT = "pyproject.toml"
DOTFILE = ".ecslint.toml"
SCHEMA = "config-schema.json"


class ConfigError(Exception):
    """A configuration file that cannot be used; the message is one line naming file and key."""


def load_settings(path: str | None = None, fs: FileSystem | None = None) -> Settings:
    """Settings from `path` (--config), else from the first config found walking up from
    cwd; read through `fs` (the check's recorded file system)."""
    fs = fs or FileSystem()
    found = _explicit(path, fs) if path else find_config(os.getcwd(), fs)
    if found is None:
        return Settings()
    file, table, prefix = found
    shown = _shown(file)
    validate(table, shown, prefix)
    return _to_settings(table, file)


def find_config(start: str, fs: FileSystem) -> tuple[str, dict, str] | None:
    """(file, table, key prefix) of the nearest config, as ruff does.

    In each directory from `start` up, `.ecslint.toml` wins over `pyproject.toml`; a
    pyproject.toml without a `[tool.ecslint]` table does not stop the walk.
    """
    directory = os.path.abspath(start)
    while True:
        dotfile = os.path.join(directory, DOTFILE)
        if fs.isfile(dotfile):
            return dotfile, _read(dotfile, fs), ""
        pyproject = os.path.join(directory, PYPROJECT)
        if fs.isfile(pyproject) and _mentions_ecslint(pyproject, fs):
            tool = _read(pyproject, fs).get("tool")
            if isinstance(tool, dict) and "ecslint" in tool:
                return pyproject, tool["ecslint"], "tool.ecslint"
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def _explicit(path: str, fs: FileSystem) -> tuple[str, dict, str]:
    file = os.path.abspath(path)
    if fs.isdir(file):
        raise ConfigError(f"{path}: is a directory, not a configuration file")
    if not fs.exists(file):
        raise ConfigError(f"{path}: no such configuration file")
    doc = _read(file, fs)
    if os.path.basename(file) != PYPROJECT:
        return file, doc, ""
    tool = doc.get("tool")
    if not isinstance(tool, dict) or "ecslint" not in tool:
        raise ConfigError(f"{_shown(file)}: no [tool.ecslint] table")
    return file, tool["ecslint"], "tool.ecslint"


def _mentions_ecslint(path: str, fs: FileSystem) -> bool:
    """Cheap test so that an unrelated (even broken) pyproject.toml is never parsed."""
    try:
        return b"ecslint" in fs.read_bytes(path)
    except OSError:
        return False


def _read(path: str, fs: FileSystem) -> dict:
    shown = _shown(path)
    import tomllib

    try:
        return tomllib.loads(fs.read_bytes(path).decode("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{shown}: invalid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{shown}: invalid TOML: not UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"{shown}: cannot read: {exc.strerror or exc}") from None


def _shown(path: str) -> str:
    rel = os.path.relpath(path)
    return rel if not rel.startswith(os.pardir + os.sep + os.pardir) else path


# ------------------------------------------------------------------ validation

_TYPE_NAMES = {"object": "a table", "array": "an array", "string": "a string",
               "number": "a number", "integer": "an integer", "boolean": "a boolean"}
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def validate(table: Any, file: str, prefix: str = "") -> None:
    """Raise ConfigError for the first key the schema or the rule catalog rejects."""
    import jsonschema

    from ecslint import resources

    schema = resources.load_json(SCHEMA)
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(table),
                    key=lambda e: (len(e.absolute_path), [str(p) for p in e.absolute_path]))
    if errors:
        key, message = _describe(errors[0])
        raise ConfigError(f"{file}: {_key(prefix, key)}: {message}")
    for key, message in _unknown_codes(table):
        raise ConfigError(f"{file}: {_key(prefix, key)}: {message}")


def _describe(error: Any) -> tuple[list, str]:
    path = list(error.absolute_path)
    kind = error.validator
    if kind == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in allowed)
        hint = ""
        if extra == ["tool"] and not path:
            hint = "; in .ecslint.toml write the keys at the top level, without [tool.ecslint]"
        return path + [extra[0]], f"unknown key (expected one of: {', '.join(allowed)}){hint}"
    if "propertyNames" in error.schema_path:
        return path + [error.instance], "not a rule code like ECS103"
    if kind == "type":
        want = _TYPE_NAMES.get(error.validator_value, error.validator_value)
        return path, f"expected {want}, got {_describe_value(error.instance)}"
    if kind == "enum":
        choices = ", ".join(json.dumps(v) for v in error.validator_value)
        return path, f"expected one of {choices}, got {_describe_value(error.instance)}"
    if kind == "pattern":
        value = json.dumps(error.instance)
        return path, f"{value} is not a rule code or prefix like ECS1 or ECS103"
    return path, error.message


def _describe_value(value: Any) -> str:
    name = {bool: "a boolean", str: "a string", list: "an array", dict: "a table",
            int: "a number", float: "a number"}.get(type(value), type(value).__name__)
    text = json.dumps(value, default=str)
    return f"{name} ({text[:40]}{'...' if len(text) > 40 else ''})"


def _unknown_codes(table: dict):
    from ecslint.checks import RULES_BY_CODE

    def known(prefix: str) -> bool:
        return any(code.startswith(prefix) for code in RULES_BY_CODE)

    for name in ("select", "ignore"):
        for i, prefix in enumerate(table.get(name, [])):
            if not known(prefix):
                yield [name, i], f"unknown rule code or prefix {prefix}"
    for glob, prefixes in table.get("per-file-ignores", {}).items():
        for i, prefix in enumerate(prefixes):
            if not known(prefix):
                yield ["per-file-ignores", glob, i], f"unknown rule code or prefix {prefix}"
    for code in table.get("severity", {}):
        if code not in RULES_BY_CODE:
            yield ["severity", code], f"unknown rule code {code}"


def _key(prefix: str, path: list) -> str:
    out = prefix
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            part = part if _BARE_KEY.match(part) else json.dumps(part)
            out = f"{out}.{part}" if out else part
    return out or "(top level)"


# ------------------------------------------------------------------ to Settings

def _to_settings(table: dict, file: str) -> Settings:
    settings = Settings()
    settings.select = list(table.get("select", []))
    settings.ignore = list(table.get("ignore", []))
    if "fail-on" in table:
        settings.fail_on = Severity(table["fail-on"])
    settings.severity = {code: Severity(v) for code, v in table.get("severity", {}).items()}
    settings.options = {**DEFAULT_OPTIONS, **table.get("options", {})}
    settings.services = {name: dict(opts) for name, opts in table.get("services", {}).items()}
    base, cwd = os.path.dirname(file), os.getcwd()
    for glob, prefixes in table.get("per-file-ignores", {}).items():
        for variant in anchor_glob(glob, base, cwd):
            settings.per_file_ignores.setdefault(variant, [])
            settings.per_file_ignores[variant] += [p for p in prefixes
                                                   if p not in settings.per_file_ignores[variant]]
    return settings


def anchor_glob(glob: str, base: str, cwd: str) -> list[str]:
    """Globs over displayed paths (relative to cwd) equivalent to `glob` in a config in `base`.

    As in ruff: a glob without a slash matches a file name in any directory, `**/x`
    matches `x` at any depth, and any other glob is relative to the config file's directory.
    """
    g = glob.replace("\\", "/")
    if g.startswith("arn:"):
        return [g]
    while g.startswith("./"):
        g = g[2:]
    if g.startswith("**/"):
        return [g, g[3:]]
    if "/" not in g:
        return [g, "*/" + g]
    absolute = os.path.normpath(os.path.join(base, g))
    rel = os.path.relpath(absolute, cwd)
    # engine.display_path shows files outside cwd's parent by their absolute path.
    return [absolute] if rel.startswith(os.pardir + os.sep + os.pardir) else [rel]
