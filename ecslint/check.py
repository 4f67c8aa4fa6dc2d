"""`ecslint check`: discover the inputs, load them into models (HCL modules, plan JSON,
task-definition JSON), and hand models, problems and suppressions to the engine."""

from __future__ import annotations

import gc
import json
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterable, Iterator

from ecslint import discover, engine, suppress
from ecslint.cache.fsio import FileSystem
from ecslint.engine import Report, display_path
from ecslint.inputs import json_shape
from ecslint.limits import problem_message, show_traceback
from ecslint.model import EcsModel, Finding, InputProblem
from ecslint.progress import OnProgress
from ecslint.settings import Settings
from ecslint.sources import jsonpos, plan, taskdef
from ecslint.sources.build import build
from ecslint.sources.hcl.parser import HclParser
from ecslint.sources.hcl.module import ResourceRecord
from ecslint.sources.terraform import load


@contextmanager
def _collector_paused() -> Iterator[None]:
    """A run builds millions of long-lived objects and frees few cycles: the cyclic
    collector would rescan them over and over (a third of a large warm run)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def run(paths: Iterable[str], settings: Settings, parser: HclParser | None = None,
        fs: FileSystem | None = None, progress: OnProgress | None = None,
        walk_json: bool = False) -> Report:
    """Check static inputs. `parser` defaults to the parse cache (ecslint.cache.parse),
    `fs` to an unrecorded file system; `progress` is told as Terraform roots are done.
    `walk_json`: named JSON files are scoped as a directory walk scopes them (the
    pre-commit hook names every changed .json, ECS or not)."""
    if parser is None:
        from ecslint.cache.parse import make_parser

        parser = make_parser()
    with _collector_paused():
        return _run(paths, settings, parser, fs or FileSystem(), progress, walk_json)


@dataclass
class Loaded:
    """Every input of a run, loaded: what `check` hands to the engine and `inspect` shows."""

    inputs: discover.Inputs
    models: list[EcsModel]  # Terraform roots' models only when no `rules` were given
    problems: list[InputProblem]
    suppressions: list[suppress.Suppression]
    files: set[str]  # every input file read
    findings: list[Finding]  # of the Terraform roots, when `rules` were given


def _run(paths: Iterable[str], settings: Settings, parser: HclParser, fs: FileSystem,
         progress: OnProgress | None = None, walk_json: bool = False) -> Report:
    loaded = load_inputs(paths, parser, fs, progress, walk_json, rules=settings)
    inputs = loaded.inputs
    report = Report(usage_errors=[f"{p}: no such file or directory" for p in inputs.missing])
    shown, files = None, loaded.files
    if inputs.targets is not None:
        shown = {display_path(t) for t in inputs.targets}
        files = set(inputs.targets)
    report.findings = engine.check(settings, loaded.models, loaded.problems,
                                   loaded.findings, loaded.suppressions, shown)
    report.files = len(files)
    return report


def load_inputs(paths: Iterable[str], parser: HclParser, fs: FileSystem,
                progress: OnProgress | None = None, walk_json: bool = False,
                rules: Settings | None = None) -> Loaded:
    """Discover the inputs of `paths` and load them into models: one per Terraform root
    module, one per task-definition or plan JSON file. With `rules`, the rules run over
    each root's model where the root is read (`_RootRules`) and only the findings are
    kept: memory is bounded by the largest root, not by the run."""
    inputs = discover.collect(paths, fs)
    roots, scan = discover.terraform_roots(inputs, fs)
    result = load(roots, parser, fs, scan, named=inputs.targets or (), progress=progress,
                  on_root=None if rules is None else _RootRules(rules),
                  cache=None if rules is None else _root_cache(parser, fs, rules))
    problems = inputs.problems + result.problems
    models, findings = [], []
    for root, kept in result.roots.items():
        if rules is not None:
            findings += kept
        elif kept:
            model, problem = _model(root, kept)
            models += [model] if model is not None else []
            problems += [problem] if problem is not None else []
    suppressions = []
    for path, text in result.texts.items():
        try:
            suppressions += suppress.scan(display_path(path), text,
                                          result.block_ends.get(path, {}))
        except Exception as exc:  # noqa: BLE001
            problems.append(_failed(path, exc, "the comments of this file"))
    files = set(result.files)
    for path in inputs.json_files:
        if path in result.read_by_functions:
            continue  # read by file()/templatefile(): checked as part of its module
        files.add(path)
        try:
            model, problem = _json_input(path, fs, path in inputs.named and not walk_json)
        except Exception as exc:  # noqa: BLE001 - one file's failure is its ECS001
            model, problem = None, _failed(path, exc, "this file")
        if problem is not None:
            problems.append(problem)
        if model is not None:
            models.append(model)
    return Loaded(inputs, models, problems, suppressions, files, findings)


def _model(root: str, records: list[ResourceRecord]
           ) -> tuple[EcsModel | None, InputProblem | None]:
    """One root's model, or the ECS001 of a root whose model could not be built."""
    try:
        return build(records), None
    except Exception as exc:  # noqa: BLE001 - one root's failure is its ECS001
        return None, _failed(records[0].where.file, exc, f"the module in {display_path(root)}")


def _root_cache(parser: HclParser, fs: FileSystem, settings: Settings):
    """The root cache (ecslint.cache.roots) of a run whose parse cache is on and whose
    file system records (as the result cache's does), in the parse cache's directory."""
    from ecslint.cache.parse import CachedParser

    if not (isinstance(parser, CachedParser) and parser.store is not None and fs.recording):
        return None
    from ecslint.cache.roots import RootCache

    return RootCache(repr(settings.rule_options()), parser.store.base)


class _RootRules:
    """What `check` keeps of a Terraform root: its model's findings (a root that could not
    be built is its ECS001). Called where the root was read: a worker process, or here."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def __call__(self, root: str, records: list[ResourceRecord]) -> list[Finding]:
        if not records:
            return []
        model, problem = _model(root, records)
        if problem is not None:
            return [engine.problem_finding(problem)]
        return engine.run_rules(model, self.settings)


def _failed(path: str, exc: BaseException, what: str) -> InputProblem:
    """The ECS001 of an input whose check failed with `exc` (the others go on)."""
    show_traceback(exc)
    return InputProblem(path, problem_message(exc, what))


def _json_input(path: str, fs: FileSystem, named: bool
                ) -> tuple[EcsModel | None, InputProblem | None]:
    """A JSON file: task definition, plan/state, or silently nothing; and its problem, if
    any. One that does not parse is a problem when it was named, or when it looks like an
    ECS input (ecslint.inputs.JSON_SHAPES); other broken JSON (JSONC, editor settings) is
    skipped. A plan with parts of the wrong shape is checked without them, and says so."""
    try:
        text = fs.read_text(path)
    except UnicodeDecodeError as exc:
        return None, InputProblem(path, f"file is not valid UTF-8 (byte {exc.start})")
    except OSError as exc:
        return None, InputProblem(path, f"cannot read file: {exc.strerror or exc}")
    try:
        doc = json.loads(text, parse_constant=_not_json)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than C can decode
        if not named and json_shape(text) is None:
            return None, None
        return None, _invalid_json(text, path)
    if plan.is_plan(doc):
        odd: list[InputProblem] = []
        model = build(plan.records(doc, path, text, odd))
        return model, (odd[0] if odd else None)
    kind = taskdef.classify(doc)
    if kind is None:
        return None, None
    try:
        positioned = jsonpos.loads(text, path)
    except jsonpos.JsonError:  # what json.loads takes and we do not: nesting past the limit
        return None, _invalid_json(text, path)
    model = EcsModel()
    model.task_definitions.append(taskdef.task_definition_from_json(positioned, kind, path))
    return model, None


def _not_json(constant: str) -> float:
    raise ValueError(f"{constant} is not JSON")  # json.loads would take NaN and Infinity


def _invalid_json(text: str, path: str) -> InputProblem:
    """The problem of a JSON file that does not decode, where jsonpos says."""
    try:
        jsonpos.loads(text, path)
    except jsonpos.JsonError as exc:
        return InputProblem(path, f"invalid JSON: {exc.message}", exc.line, exc.column)
    return InputProblem(path, "invalid JSON")
