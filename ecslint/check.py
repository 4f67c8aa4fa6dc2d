"""`ecslint check`: static inputs (HCL modules, plan JSON, task-definition JSON) -> Report."""

from __future__ import annotations

import gc
import json
from typing import Callable, Iterable

from ecslint import engine, suppress
from ecslint.engine import Report, display_path, make_finding
from ecslint.model import EcsModel, Finding, Location
from ecslint.settings import Settings
from ecslint.sources import jsonpos, plan, taskdef
from ecslint.sources.build import RESOURCE_TYPES, build
from ecslint.sources.terraform import PreScan, TerraformReader, read_source

ParseFn = Callable[[str, str], object]


def run(paths: Iterable[str], settings: Settings, parse: ParseFn | None = None) -> Report:
    """Check static inputs; `parse` defaults to the parse cache (see ecslint.cache)."""
    # A run builds millions of long-lived objects and frees few cycles: the cyclic
    # collector would rescan them over and over (a third of a large warm run).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _run(paths, settings, parse)
    finally:
        if collecting:
            gc.enable()


def _run(paths: Iterable[str], settings: Settings, parse: ParseFn | None) -> Report:
    if parse is None:
        from ecslint.cache import parse_function

        parse = parse_function()
    inputs = engine.collect(paths)
    report = Report(usage_errors=[f"{p}: no such file or directory" for p in inputs.missing])
    findings: list[Finding] = []
    suppressions: list[suppress.Suppression] = []

    reader = TerraformReader(parse)
    scan = PreScan(RESOURCE_TYPES)
    reader.read_roots(engine.module_roots(inputs.module_dirs, inputs.targets, scan), scan,
                      inputs.targets)
    result = reader.result
    for prob in result.problems:
        findings.append(make_finding("ECS001", prob.message,
                                     Location(prob.file, prob.line, prob.column)))
    if result.records:
        findings += engine.run_rules(build(result.records), settings)
    for path, text in result.texts.items():
        ends = result.block_ends.get(path, {})
        suppressions += suppress.scan(display_path(path), text, ends)
    files = set(result.files)

    for path in inputs.json_files:
        if path in result.read_by_functions:
            continue  # read by file()/templatefile(): checked as part of its module
        files.add(path)
        model, problem = _json_input(path)
        if problem is not None:
            findings.append(problem)
        elif model is not None:
            findings += engine.run_rules(model, settings)

    if inputs.targets is not None:
        shown = {display_path(t) for t in inputs.targets}
        findings = [f for f in findings if f.file in shown]
        suppressions = [s for s in suppressions if s.file in shown]
        files = set(inputs.targets)

    findings = _apply_suppressions(findings, suppressions, settings)
    report.findings = engine.finalize(findings, settings)
    report.files = len(files)
    return report


def _apply_suppressions(findings: list[Finding], sups: list[suppress.Suppression],
                        settings: Settings) -> list[Finding]:
    kept = []
    for f in findings:
        hit = next((s for s in sups if s.covers(f)), None)
        if hit is None:
            kept.append(f)
        else:
            hit.used.update(c for c in hit.codes if f.code.startswith(c))
    for s in sups:
        unused = [c for c in s.codes if c not in s.used]
        if unused:
            what = ", ".join(unused)
            kept.append(make_finding("ECS002", f"unused suppression: nothing here reports {what}",
                                     Location(s.file, s.line, s.column)))
    return kept


def _json_input(path: str) -> tuple[EcsModel | None, Finding | None]:
    """A JSON file: task definition, plan/state, or silently nothing."""
    try:
        text = read_source(path)
    except UnicodeDecodeError as exc:
        return None, make_finding("ECS001", f"file is not valid UTF-8 (byte {exc.start})",
                                  Location(path))
    except OSError as exc:
        return None, make_finding("ECS001", f"cannot read file: {exc.strerror or exc}",
                                  Location(path))
    try:
        doc = json.loads(text)
    except ValueError:
        try:
            jsonpos.loads(text, path)
        except jsonpos.JsonError as exc:
            return None, make_finding("ECS001", f"invalid JSON: {exc.message}",
                                      Location(path, exc.line, exc.column))
        return None, make_finding("ECS001", "invalid JSON", Location(path))
    if plan.is_plan(doc):
        return build(plan.records(doc, path, text)), None
    kind = taskdef.classify(doc)
    if kind is None:
        return None, None
    model = EcsModel()
    model.task_definitions.append(
        taskdef.task_definition_from_json(jsonpos.loads(text, path), kind, path))
    return model, None
