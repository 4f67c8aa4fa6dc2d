"""The package's shape, checked: no import cycle, file-system reads only through the
recorded layer, no module-level mutable state, and rule locations that always resolve."""

from __future__ import annotations

import ast
import dataclasses
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from ecslint import engine
from ecslint.model import Entity, field_path_ok

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "ecslint"
MODULES = sorted(p for p in PACKAGE.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


# ------------------------------------------------------------------ imports

def top_level_imports(path: Path) -> set[str]:
    """ecslint modules imported when `path` is imported (not inside functions, not under
    TYPE_CHECKING)."""
    out = set()
    for node in tree(path).body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for sub in ast.walk(node) if not isinstance(node, (ast.FunctionDef, ast.ClassDef)) \
                else ():
            if isinstance(sub, ast.Import):
                out |= {a.name for a in sub.names if a.name.startswith("ecslint")}
            elif isinstance(sub, ast.ImportFrom) and sub.module and \
                    sub.module.startswith("ecslint"):
                out.add(sub.module)
                out |= {f"{sub.module}.{a.name}" for a in sub.names}
    known = {module_name(p) for p in MODULES}
    return {m for m in out if m in known}


def test_no_import_cycle():
    graph = {module_name(p): top_level_imports(p) for p in MODULES}
    state: dict[str, int] = {}

    def visit(m: str, stack: list[str]) -> None:
        state[m] = 1
        for dep in sorted(graph.get(m, ())):
            if dep == m or dep.startswith(m + "."):
                continue  # a package importing its own submodule
            if state.get(dep) == 1:
                pytest.fail("import cycle: " + " -> ".join(stack[stack.index(dep):] + [dep])
                            if dep in stack else f"import cycle through {dep}")
            if dep not in state:
                visit(dep, stack + [dep])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])


# ------------------------------------------------------------------ file-system access

# Calls that touch the file system.
_FS_CALLS = {"open", "os.listdir", "os.scandir", "os.walk", "os.stat", "os.lstat", "os.open",
             "os.path.isfile", "os.path.isdir", "os.path.exists", "os.path.islink",
             "os.path.getsize", "os.path.getmtime", "io.open"}
_FS_METHODS = {"read_text", "read_bytes", "write_text", "write_bytes", "iterdir", "glob",
               "rglob"}
# Receivers of those method names that are ecslint's own readers, not pathlib paths: the
# recorded file system (`fs`, `self.fs`), the loader that wraps it, package data.
_OWN_READERS = re.compile(r"(^|\.)fs$|FileSystem\(\)\)?$|^resources$|^self\.loader$")
# (module, function) allowed to touch the file system, and why.
_ALLOWED = {
    ("ecslint.cache.fsio", None): "the recorded layer itself",
    ("ecslint.cache.store", None): "the cache's own entries",
    ("ecslint.cache.memo", "code_stamp"): "the package's own files, in the cache key",
    ("ecslint.cache.parse", "_code_stamp"): "the package's own files, in the cache key",
    ("ecslint.resources", None): "package data (rule docs, tables)",
    ("ecslint.cli", "write_file"): "writes --output",
    ("ecslint.baseline", "write"): "writes --write-baseline",
}


def fs_calls(path: Path) -> list[tuple[str | None, str, int]]:
    """(enclosing function, call, line) of every file-system call in a module."""
    found = []

    def walk(node: ast.AST, func: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            name = func
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = child.name if func is None else func
            if isinstance(child, ast.Call):
                text = ast.unparse(child.func)
                method = isinstance(child.func, ast.Attribute) and \
                    child.func.attr in _FS_METHODS and \
                    not _OWN_READERS.search(ast.unparse(child.func.value))
                if text in _FS_CALLS or method:
                    found.append((name, text, child.lineno))
            walk(child, name)

    walk(tree(path), None)
    return found


def test_the_check_path_reads_files_only_through_the_recorded_layer():
    offending = []
    for path in MODULES:
        mod = module_name(path)
        if mod.startswith("ecslint.audit."):
            continue  # the live audit reads no files but its --terraform, via the loader
        for func, call, line in fs_calls(path):
            if (mod, None) in _ALLOWED or (mod, func) in _ALLOWED:
                continue
            offending.append(f"{path.relative_to(REPO)}:{line}: {call} in {func}")
    assert offending == [], "use ecslint.cache.fsio.FileSystem:\n" + "\n".join(offending)


def test_the_fs_scan_sees_a_read():
    """The scan itself can fail: a module that opens a file is caught."""
    sample = PACKAGE / "cli.py"
    assert any(call == "open" for _f, call, _l in fs_calls(sample))


# ------------------------------------------------------------------ module state

_MUTATORS = {"append", "extend", "update", "add", "setdefault", "pop", "clear", "insert",
             "remove", "discard", "popitem"}
# Module-level names that change at run time, and why they may.
_STATE_ALLOWED = {("ecslint.sources.terraform", "_worker"): "set once in each forked worker"}


def module_state_problems(path: Path) -> list[str]:
    mod = module_name(path)
    body = tree(path).body
    containers = set()
    for node in body:
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, ast.AnnAssign) and node.value else []
        for t in targets:
            if isinstance(t, ast.Name) and isinstance(node.value, (
                    ast.Dict, ast.List, ast.Set, ast.DictComp, ast.ListComp, ast.SetComp)):
                containers.add(t.id)
    out = []
    for node in ast.walk(ast.Module(body=body, type_ignores=[])):
        if isinstance(node, ast.Global):
            out += [f"{mod}: global {n}" for n in node.names if (mod, n) not in _STATE_ALLOWED]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                isinstance(node.func.value, ast.Name) and node.func.value.id in containers \
                and node.func.attr in _MUTATORS:
            out.append(f"{mod}:{node.lineno}: {node.func.value.id}.{node.func.attr}()")
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) \
                else [node.target]
            for t in targets:
                if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and \
                        t.value.id in containers and node not in body:
                    out.append(f"{mod}:{node.lineno}: {t.value.id}[...] changed")
    return out


def test_no_module_level_mutable_state():
    problems = [p for path in MODULES for p in module_state_problems(path)]
    assert problems == []


def test_the_state_scan_sees_a_global(tmp_path):
    sample = tmp_path / "x.py"
    sample.write_text("_cache = {}\n\ndef f():\n    global _n\n    _cache.update(a=1)\n")
    global REPO
    saved = REPO
    REPO = tmp_path  # module_name relative to the sample
    try:
        assert len(module_state_problems(sample)) == 2
    finally:
        REPO = saved


# ------------------------------------------------------------------ rule locations

def value_at(entity: Entity, path: str) -> Any:
    """The value at a field path; None when unset or left at its API default."""
    value: Any = entity
    for part in path.split("."):
        if isinstance(value, list):
            value = value[int(part)] if int(part) < len(value) else None
        else:
            defaults = {f.name: f.default for f in dataclasses.fields(value)}
            value = getattr(value, part, None)
            if value is not None and value == defaults.get(part):
                return None
        if value is None:
            return None
    return value


def inputs() -> list[Path]:
    fixtures = REPO / "tests" / "fixtures"
    cases = [p for p in (fixtures / "rules").glob("*/*") if p.is_dir() or p.suffix == ".json"]
    return sorted(cases) + [REPO / "examples" / "terraform", fixtures / "plan"]


@pytest.mark.parametrize("path", inputs(), ids=lambda p: str(p.relative_to(REPO)))
def test_every_reported_location_path_resolves(path, monkeypatch):
    """A rule's path names a model field; it resolves to a recorded location, or the field
    is unset (the finding is about the resource as a whole) — never a misspelt path that
    silently falls back to the resource header."""
    seen = []
    real = engine.to_finding

    def checked(problem):
        seen.append(problem)
        return real(problem)

    monkeypatch.setattr(engine, "to_finding", checked)
    from helpers import lint

    lint([path])
    bad = []
    for p in seen:
        if p.path is None:
            continue
        entity = p.entity
        if not field_path_ok(type(entity), p.path):
            bad.append(f"{p.code} {entity.address}: {p.path!r} is not a model field")
        elif entity.origin(p.path) is None and value_at(entity, p.path) is not None \
                and not entity.where.file.endswith("plan.json"):
            bad.append(f"{p.code} {entity.address}: {p.path!r} is set but has no location")
    assert bad == []
    if path.name == "terraform":
        assert len(seen) > 20  # the example fires most rules: the hook really ran


def test_a_misspelt_path_is_caught():
    from ecslint.model import Container, Location

    c = Container(address="x", where=Location("f.tf", 1, 1))
    assert not field_path_ok(Container, "memoryReservation")
    with pytest.raises(ValueError):
        c.record("healthCheck.timeout", Location("f.tf", 2, 3))


if sys.version_info < (3, 9):  # pragma: no cover
    pytest.skip("ast.unparse needs Python 3.9", allow_module_level=True)
