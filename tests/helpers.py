"""Shared test helpers: write a module to a temp dir, run the static check on it."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

from ecslint import check
from ecslint.cache.fsio import FileSystem
from ecslint.settings import Settings
from ecslint.sources.build import RESOURCE_TYPES
from ecslint.sources.hcl.parser import HclParser
from ecslint.sources.terraform import PreScan, TerraformResult, load


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def load_root(root: Path, types: frozenset[str] = RESOURCE_TYPES,
              parser: HclParser | None = None) -> TerraformResult:
    """A root module read by the loader `check` uses (every file parsed whole by default)."""
    fs = FileSystem()
    return load([str(root)], parser or HclParser(), fs, PreScan(types, fs))


def records(root: Path, types: frozenset[str] = RESOURCE_TYPES) -> dict:
    """Evaluated resource records of a root module, by address."""
    result = load_root(root, types)
    assert not [p for p in result.problems if p.code == "ECS001"], result.problems
    return {r.address: r for r in result.records}


def lint(paths, settings: Settings | None = None, cwd: Path | None = None):
    old = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        return check.run([str(p) for p in paths], settings or Settings())
    finally:
        os.chdir(old)


def codes(report) -> list[str]:
    return [f.code for f in report.findings]
