"""The pipeline: inputs -> model -> rules -> locate -> suppress -> filter -> sort."""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field
from typing import Iterable

from ecslint import fsio
from ecslint.checks import ALL_RULES, RULES_BY_CODE
from ecslint.checks.base import Problem
from ecslint.model import EcsModel, Finding, Location
from ecslint.settings import Settings
from ecslint.sources.build import RESOURCE_TYPES
from ecslint.sources.terraform import PreScan, is_tf_file

@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    usage_errors: list[str] = field(default_factory=list)
    # Extra JSON keys some commands attach (the audit's stop causes) ...
    extra: dict = field(default_factory=dict)
    # ... and the same as pre-rendered text blocks for concise/full output.
    sections: list[str] = field(default_factory=list)

    @property
    def parse_errors(self) -> int:
        return sum(1 for f in self.findings if f.code == "ECS001")


def display_path(path: str) -> str:
    """Paths relative to the working directory; ARNs and the like unchanged."""
    if path.startswith("arn:") or not os.path.isabs(path):
        return path
    rel = os.path.relpath(path)
    return rel if not rel.startswith(".." + os.sep + "..") else path


# ------------------------------------------------------------------ collecting inputs

@dataclass
class Inputs:
    module_dirs: set[str] = field(default_factory=set)
    json_files: list[str] = field(default_factory=list)
    # Files named on the command line: only their findings are reported (pre-commit).
    # None when a directory was given (report everything found).
    targets: set[str] | None = None
    missing: list[str] = field(default_factory=list)


def collect(paths: Iterable[str]) -> Inputs:
    inputs = Inputs()
    named: set[str] = set()
    whole = False
    for raw in paths:
        path = os.path.abspath(raw)
        if fsio.isdir(path):
            whole = True
            # Hidden directories (.terraform, .git) are skipped; files sorted.
            for root, _dirs, files in fsio.walk_inputs(path):
                if any(is_tf_file(f) for f in files):
                    inputs.module_dirs.add(root)
                inputs.json_files += [os.path.join(root, f) for f in sorted(files)
                                      if f.endswith(".json") and not f.endswith(".tf.json")]
        elif fsio.isfile(path) or fsio.islink(path):
            named.add(path)
            if is_tf_file(path):
                inputs.module_dirs.add(os.path.dirname(path))
            elif path.endswith(".json"):
                inputs.json_files.append(path)
                # It may be a module's file()/templatefile() input: read nearby modules too.
                inputs.module_dirs |= _nearby_modules(os.path.dirname(path))
        else:
            inputs.missing.append(raw)
    if named and not whole:
        inputs.targets = named
    return inputs


def _nearby_modules(directory: str, levels: int = 2) -> set[str]:
    out = set()
    for _ in range(levels + 1):
        try:
            if fsio.listdir(directory, only="tf"):
                out.add(directory)
        except OSError:
            pass
        if fsio.isdir(os.path.join(directory, ".git")):
            break
        directory = os.path.dirname(directory)
    return out


def module_roots(dirs: set[str], targets: set[str] | None,
                 scan: PreScan | None = None) -> list[str]:
    """Directories to evaluate as root modules: those not called by another one we read.

    For named files (pre-commit) a directory called by a parent directory's module is
    evaluated through that caller, so its variables get the caller's arguments. The module
    calls come from the reader's text pre-scan, so every file is read once.
    """
    scan = scan or PreScan(RESOURCE_TYPES)
    called: set[str] = set()
    for d in dirs:
        called.update(scan.scan(d).calls)
    roots = {d for d in dirs if d not in called}
    if targets is not None:
        for d in list(roots):
            caller = _find_caller(d, scan)
            if caller:
                roots.discard(d)
                roots.add(caller)
    return sorted(roots)


def _find_caller(directory: str, scan: PreScan, levels: int = 3) -> str | None:
    parent = directory
    for _ in range(levels):
        parent = os.path.dirname(parent)
        if not parent or parent == os.path.dirname(parent):
            return None
        calls = scan.scan(parent).calls
        if fsio.isdir(os.path.join(parent, ".git")):
            return parent if directory in calls else None
        if directory in calls:
            return _find_caller(parent, scan) or parent
    return None


# ------------------------------------------------------------------ running rules

def run_rules(model: EcsModel, settings: Settings, live: bool = False) -> list[Finding]:
    """Every rule runs; select/ignore apply in finalize(), after suppressions are matched,
    so that ECS002 knows which suppressions are used even for rules not selected."""
    options = settings.rule_options()
    findings = []
    for rule in ALL_RULES:
        if rule.check is None or (rule.live_only and not live):
            continue
        for problem in rule.check(model, options):
            findings.append(to_finding(problem))
    return findings


def to_finding(problem: Problem) -> Finding:
    rule = RULES_BY_CODE[problem.code]
    loc = problem.entity.loc(problem.path)
    container = problem.container.name if problem.container is not None else None
    return Finding(problem.code, rule.name, rule.severity, problem.message,
                   display_path(loc.file), loc.line, loc.column, problem.entity.address,
                   container if isinstance(container, str) else None, rule.url)


def make_finding(code: str, message: str, loc: Location, resource: str | None = None,
                 container: str | None = None) -> Finding:
    rule = RULES_BY_CODE[code]
    return Finding(code, rule.name, rule.severity, message, display_path(loc.file), loc.line,
                   loc.column, resource, container, rule.url)


def finalize(findings: list[Finding], settings: Settings) -> list[Finding]:
    """Select/ignore, per-file ignores, severity overrides, dedupe and sort."""
    out: dict[tuple, Finding] = {}
    for f in findings:
        if not settings.enabled(f.code) and f.code != "ECS001":
            continue
        if any(fnmatch.fnmatch(f.file, glob) and any(f.code.startswith(c) for c in codes)
               for glob, codes in settings.per_file_ignores.items()):
            continue
        if f.code in settings.severity:
            f = Finding(**{**f.__dict__, "severity": settings.severity[f.code]})
        out.setdefault(f.sort_key(), f)
    return sorted(out.values(), key=Finding.sort_key)
