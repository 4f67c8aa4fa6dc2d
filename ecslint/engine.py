"""The pipeline: problems -> findings -> suppress -> finalize.

A command (check, audit) loads its inputs into models and input problems; the engine runs
the rules over each model, turns every problem into a finding located in the user's files,
applies suppressions and the files named on the command line, and finalizes: select and
ignore, per-file ignores, severity overrides, dedupe and sort.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field
from typing import Iterable

from ecslint import suppress
from ecslint.checks import ALL_RULES, RULES_BY_CODE
from ecslint.checks.base import Problem
from ecslint.limits import problem_message, show_traceback
from ecslint.model import EcsModel, Entity, Finding, InputProblem, Location, Related
from ecslint.settings import Settings


@dataclass
class Report:
    """The result of a run: final findings, files read, usage errors, extra sections."""

    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    usage_errors: list[str] = field(default_factory=list)
    # Extra JSON keys some commands attach (the audit's stop causes) ...
    extra: dict = field(default_factory=dict)
    # ... and the same as pre-rendered text blocks for concise/full output: after the
    # findings, and (header) before them.
    sections: list[str] = field(default_factory=list)
    header: list[str] = field(default_factory=list)

    @property
    def parse_errors(self) -> int:
        return sum(1 for f in self.findings if f.code == "ECS001")


def display_path(path: str) -> str:
    """Paths relative to the working directory; ARNs and the like unchanged."""
    if path.startswith("arn:") or not os.path.isabs(path):
        return path
    rel = os.path.relpath(path)
    return rel if not rel.startswith(".." + os.sep + "..") else path


def check(settings: Settings, models: Iterable[EcsModel] = (),
          problems: Iterable[InputProblem] = (), findings: Iterable[Finding] = (),
          suppressions: Iterable[suppress.Suppression] = (), shown: set[str] | None = None,
          live: bool = False) -> list[Finding]:
    """Every finding of a run, final. `findings` are made by the command itself (the
    audit's observations); `shown`: report only findings in these (displayed) files."""
    out = [make_finding(p.code, p.message, Location(p.file, p.line, p.column), p.resource)
           for p in problems]
    out += findings
    for model in models:
        out += run_rules(model, settings, live)
    sups = list(suppressions)
    if shown is not None:  # named files (pre-commit): a finding any of them decided
        out = [f for f in out if f.file in shown or any(r.file in shown for r in f.related)]
    out, unused = suppress.apply(out, sups)
    out += [make_finding("ECS002", f"unused suppression: nothing here reports {codes}", where)
            for codes, where in unused if shown is None or where.file in shown]
    return finalize(out, settings)


def run_rules(model: EcsModel, settings: Settings, live: bool = False) -> list[Finding]:
    """Every rule runs; select/ignore apply in finalize(), after suppressions are matched,
    so that ECS002 knows which suppressions are used even for rules not selected. A rule
    that fails on this model is reported as ECS001 (what it found so far is kept) and the
    other rules still run."""
    options = settings.rule_options()
    findings = []
    for rule in ALL_RULES:
        if rule.check is None or (rule.live_only and not live):
            continue
        try:
            for problem in rule.check(model, options):
                findings.append(to_finding(problem))
        except Exception as exc:  # noqa: BLE001 - contained: the input is ECS001, not a crash
            show_traceback(exc)
            where = next((e.where for e in model.entities()), Location("-"))
            findings.append(make_finding("ECS001", problem_message(
                exc, f"rule {rule.code} ({rule.name}) on this input"), Location(where.file)))
    return findings


def to_finding(problem: Problem) -> Finding:
    rule = RULES_BY_CODE[problem.code]
    loc, related = place(problem.entity, problem.path)
    for entity, path, label in problem.related:
        other, steps = place(entity, path, label)
        first = "written here" if entity.origin(path) is not None else "set here"
        related += [Related(display_path(other.file), other.line, other.column,
                            f"{label} {first}")] + steps
    container = problem.container.name if problem.container is not None else None
    seen = {(display_path(loc.file), loc.line)}
    kept = []
    for r in related:  # each line once (the first note about it), never the finding's own
        key = (r.file, r.line)
        if key not in seen and r.line is not None:
            seen.add(key)
            kept.append(r)
    return Finding(problem.code, rule.name, rule.severity, problem.message,
                   display_path(loc.file), loc.line, loc.column, problem.entity.address,
                   container if isinstance(container, str) else None, rule.url, tuple(kept))


def in_user_code(loc: Location) -> bool:
    """Not inside a module `terraform init` installed (the user does not own those)."""
    return "/.terraform/" not in loc.file.replace(os.sep, "/")


def place(entity: Entity, path: str | None, label: str | None = None
          ) -> tuple[Location, list[Related]]:
    """Where a finding about `entity`'s field `path` points, and the other places on the
    way. The primary place is the outermost one in the user's own code where the decisive
    value was written: the place it was written, or, when that is inside an installed
    module, the first place it passed in user code, else the `module` call in user code."""
    origin = entity.origin(path)
    places: list[tuple[Location, str]] = []
    named = (lambda note: f"{label} {note}") if label else (lambda note: note)
    if origin is not None:
        places.append((origin.loc, named("written here")))
        places += [(step.loc, named(step.note)) for step in origin.via]
    primary = next((loc for loc, _note in places if in_user_code(loc)), None)
    if primary is None:
        header = entity.where
        primary = header if in_user_code(header) else next(
            (call for call in entity.calls if in_user_code(call)), header)
    related = [Related(display_path(loc.file), loc.line, loc.column, note)
               for loc, note in places if loc != primary]
    if primary != entity.where and not in_user_code(entity.where):
        related.append(Related(display_path(entity.where.file), entity.where.line,
                               entity.where.column, "in an installed module"))
    return primary, related


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
