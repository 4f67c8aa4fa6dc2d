"""The Terraform loader: root module directories of `.tf`/`.tf.json` files -> resource
records (`load`), and the text pre-scan that tells which roots can hold ECS resources."""

from __future__ import annotations

import gc
import os
import re
import sys
from dataclasses import dataclass, field
from typing import Collection

from ecslint.cache.fsio import FileSystem, Ops
from ecslint.cache.store import cpus
from ecslint.sources.hcl.module import Loader, ModuleFiles, ModuleInstance, ResourceRecord
from ecslint.sources.hcl.parser import HclParser, ParseStats
from ecslint.model import InputProblem
from ecslint.sources.hcl.syntax import HclSyntaxError, parse_tf_json

# Below this many roots per worker, roots are read in-process: a worker costs ~20 ms.
PARALLEL_MIN_ROOTS = 8


@dataclass
class TerraformResult:
    # Root module directory -> its resource records (and those of the modules it calls),
    # in root order. Each root is its own configuration: relations are resolved inside it.
    roots: dict[str, list[ResourceRecord]] = field(default_factory=dict)
    problems: list[InputProblem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # every .tf file read (all modules)
    texts: dict[str, str] = field(default_factory=dict)  # path -> text, for suppressions
    # path -> {first line of a top-level block: its last line}, for suppressions
    block_ends: dict[str, dict[int, int]] = field(default_factory=dict)
    read_by_functions: set[str] = field(default_factory=set)  # file() / templatefile()

    @property
    def records(self) -> list[ResourceRecord]:
        """Every root's records, in root order."""
        return [r for records in self.roots.values() for r in records]


def load(roots: list[str], parser: HclParser, fs: FileSystem, scan: PreScan,
         named: Collection[str] = ()) -> TerraformResult:
    """Evaluate root modules, skipping those that cannot hold a resource of `scan.types`.

    A root is skipped when no file of it or of the local modules it calls names one of the
    types (a text scan): its files are listed but not parsed, so an HCL syntax error in it
    is not reported unless one of its files was named. Named files are parsed whole, so
    that every error in them shows. The other roots are read in worker processes when there
    are many (`_read_parallel`), else here.
    """
    named_dirs = {os.path.dirname(p) for p in named}
    plan = []
    for root in roots:
        reach = scan.reach(root)
        keep = bool(named_dirs.intersection(reach)) or any(scan.dirs[d].relevant
                                                           for d in reach)
        plan.append((root, reach, keep))
    reader = _Reader(parser, fs, frozenset(named), scan.texts())
    kept = [root for root, _reach, keep in plan if keep]
    read_dirs = _read_parallel(reader, kept, scan.types)
    if read_dirs is None:
        for root in kept:
            reader.read_root(root, scan.types)
        read_dirs = set(reader.modules)
    parser.flush()
    result = reader.result
    for _root, reach, keep in plan:
        if keep:
            continue
        for d in reach:
            if d not in read_dirs:
                read_dirs.add(d)
                result.files.extend(scan.dirs[d].texts)
                result.texts.update(scan.dirs[d].texts)
    return result


def _problem(path: str, exc: Exception) -> InputProblem:
    if isinstance(exc, HclSyntaxError):
        return InputProblem(path, exc.message, exc.line, exc.column)
    if isinstance(exc, UnicodeDecodeError):
        data = exc.object[:exc.start]
        line = data.count(b"\n") + 1
        return InputProblem(path, f"file is not valid UTF-8 (byte {exc.start})", line,
                            exc.start - (data.rfind(b"\n") + 1) + 1)
    if isinstance(exc, OSError):
        return InputProblem(path, f"cannot read file: {exc.strerror or exc}")
    return InputProblem(path, f"cannot parse file: {exc}")


class _Reader:
    """Reads module directories once per run and evaluates root modules."""

    def __init__(self, parser: HclParser, fs: FileSystem, named: frozenset[str],
                 texts: dict[str, str]) -> None:
        self.parser, self.fs, self.named = parser, fs, named
        self.modules: dict[str, ModuleFiles | None] = {}
        self.result = TerraformResult()
        self.loader = Loader(self.read_module, parser, fs)
        self.texts = texts  # read by the pre-scan, not parsed yet

    def read_module(self, directory: str) -> ModuleFiles | None:
        directory = os.path.normpath(directory)
        if directory in self.modules:
            return self.modules[directory]
        if not self.fs.isdir(directory):
            self.modules[directory] = None
            return None
        files = ModuleFiles(directory)
        for name in sorted(self.fs.listdir(directory, only="tf")):
            path = os.path.join(directory, name)
            if self.fs.isdir(path):
                continue
            if not self.fs.exists(path):  # a dangling symbolic link
                files.problems.append(InputProblem(path, "cannot read file: broken symbolic "
                                                         "link"))
                continue
            self.result.files.append(path)
            try:
                text = self.texts.get(path)
                if text is None:
                    text = self.fs.read_text(path)
                self.result.texts[path] = text
                body = files.bodies[path] = self.parser.parse_file(path, text,
                                                                   whole=path in self.named)
                self.result.block_ends[path] = {b.where.line: b.end_line for b in body.blocks
                                                if b.where.line}
            except (OSError, UnicodeDecodeError, HclSyntaxError) as exc:
                files.problems.append(_problem(path, exc))
        files.index()
        self.result.problems.extend(files.problems)
        self.modules[directory] = files
        return files

    def _tfvars(self, files: ModuleFiles) -> None:
        names = ["terraform.tfvars", "terraform.tfvars.json"]
        try:  # *.auto.tfvars[.json], as glob would list them (no leading dot)
            names += sorted(self.fs.listdir(files.dir, only="tfvars"))
        except OSError:
            pass
        for name in names:
            path = os.path.join(files.dir, name)
            if not self.fs.isfile(path):
                continue
            try:
                text = self.fs.read_text(path)
                body = (parse_tf_json(text, path) if name.endswith(".json")
                        else self.parser.parse_file(path, text, whole=True))
            except (OSError, UnicodeDecodeError, HclSyntaxError) as exc:
                self.result.problems.append(_problem(path, exc))
                continue
            files.tfvars.update(body.attributes)

    def read_root(self, directory: str, types: frozenset[str]) -> None:
        files = self.read_module(directory)
        if files is None:
            return
        self._tfvars(files)
        root = ModuleInstance(self.loader, files, "", files.dir)
        self.result.roots.setdefault(files.dir, []).extend(root.records(types))
        self.result.read_by_functions.update(self.loader.texts)
        # Syntax errors of blocks parsed when first read (sources.hcl.lazy), modules that
        # could not be loaded.
        self.result.problems.extend(self.parser.errors())
        self.result.problems.extend(self.loader.problems)
        self.loader.problems.clear()


# ------------------------------------------------------------------ worker processes

@dataclass
class _Job:
    """What a forked worker inherits: the parent's reader and what to record."""

    reader: _Reader
    types: frozenset[str]


# Worker-process state: set by the pool's initializer in each worker, never in the parent.
_worker: _Job | None = None


def _start_worker(job: _Job) -> None:
    global _worker  # noqa: PLW0603 - the one place a worker keeps its job
    _worker = job
    gc.freeze()  # inherited objects: never scanned, so their pages stay shared


def _read_parallel(reader: _Reader, roots: list[str], types: frozenset[str]) -> set[str] | None:
    """Evaluate roots in worker processes (forked: they inherit the parser, the pre-scan
    texts and the reader). Each worker parses and evaluates whole roots, so parsing and
    evaluation both use every core; results come back in root order, as if read here.
    Returns the module directories read, or None when there are too few roots, one core,
    or no fork: read them in-process."""
    workers = min(cpus(), len(roots) // PARALLEL_MIN_ROOTS)
    if workers < 2 or sys.platform == "win32":
        return None
    import concurrent.futures
    import multiprocessing

    try:
        context = multiprocessing.get_context("fork")
    except ValueError:
        return None
    reader.parser.prepare()  # loaded once, before the workers fork
    # Contiguous chunks keep the records in root order; six per worker balance the load
    # and bound memory (a chunk's state is dropped when it is done).
    n = min(len(roots), workers * 6)
    chunks = [roots[len(roots) * i // n:len(roots) * (i + 1) // n] for i in range(n)]
    try:
        with concurrent.futures.ProcessPoolExecutor(
                workers, mp_context=context, initializer=_start_worker,
                initargs=(_Job(reader, types),)) as pool:
            results = list(pool.map(_read_chunk, chunks))
    except (OSError, concurrent.futures.BrokenExecutor):
        return None  # no workers (fork failed, one was killed): read in-process
    return _merge(reader, results)


def _merge(reader: _Reader, results: list) -> set[str]:
    out = reader.result
    seen_files: set[str] = set()
    seen_problems: set[tuple] = set()
    dirs = set()
    for res, texts, ops, stats in results:
        reader.fs.merge(ops)
        reader.parser.stats.add(stats)
        for root, records in res.roots.items():
            out.roots.setdefault(root, []).extend(records)
        for prob in res.problems:
            k = (prob.file, prob.message, prob.line, prob.column)
            if k not in seen_problems:
                seen_problems.add(k)
                out.problems.append(prob)
        for path in res.files:
            if path not in seen_files:
                seen_files.add(path)
                out.files.append(path)
                dirs.add(os.path.dirname(path))
                out.texts[path] = texts.get(path) or reader.texts.get(path, "")
        out.block_ends.update(res.block_ends)
        out.read_by_functions.update(res.read_by_functions)
    return dirs


def _read_chunk(roots: list[str]) -> tuple[TerraformResult, dict[str, str], Ops, ParseStats]:
    """Worker: read some roots with a fresh reader. Returns the chunk's result, the texts
    the parent lacks, the file-system observations made for it and the parser's counters.

    Memory stays per chunk: the reader and its evaluation state are dropped after each
    one (the parse cache makes re-reading a shared module cheap), and the cyclic collector
    runs once after each chunk over that chunk's objects only (inherited ones are frozen)."""
    assert _worker is not None
    parent = _worker.reader
    parser = parent.parser
    fs = FileSystem(recording=parent.fs.recording)
    before = ParseStats(parser.stats.hits, parser.stats.misses)
    reader = _Reader(parser, fs, parent.named, parent.texts)
    for root in roots:
        reader.read_root(root, _worker.types)
    parser.flush()
    res = reader.result
    stats = ParseStats(parser.stats.hits - before.hits, parser.stats.misses - before.misses)
    out = (res, {p: t for p, t in res.texts.items() if p not in parent.texts},
           fs.observations(), stats)
    del reader
    gc.collect()
    return out


# ------------------------------------------------------------------ the pre-scan

# A module block, and one whose source is its first attribute (as `terraform fmt` users
# write it); compiled by the first scan, not at import.
_MODULE = r'^[ \t]*module[ \t]+"[^"\n]*"[ \t]*\{'
# Each comment runs to its line's end: a comment that could also end earlier (`# # # #`)
# made the match exponential in the number of `#`.
_MODULE_SOURCE = _MODULE + r'\s*(?:(?:#|//)[^\n]*\n\s*)*source\s*=\s*"([^"\n]*)"'
# Any local source argument, wherever it stands in its block: the call graph. Leading
# blanks only ([ \t], not \s): from every line start \s* would rescan all blank lines below.
_LOCAL_SOURCE = r'^[ \t]*source[ \t]*=[ \t]*"(\.{1,2}/[^"\n]*)"'


@dataclass
class _DirScan:
    texts: dict[str, str] = field(default_factory=dict)  # path -> text of its .tf files
    relevant: bool = False  # names a type, or cannot be judged without parsing
    calls: list[str] = field(default_factory=list)  # local module directories called


class PreScan:
    """Cheap text scan of module directories: which could hold a resource of `types`."""

    def __init__(self, types: frozenset[str], fs: FileSystem) -> None:
        self.types, self.fs = types, fs
        # A shared literal prefix ("aws_") lets the regex engine skip ahead quickly.
        prefix = os.path.commonprefix(sorted(types))
        self.pattern = re.compile(re.escape(prefix) + "(?:" + "|".join(
            re.escape(t[len(prefix):]) for t in sorted(types)) + ")")
        self.modules = re.compile(_MODULE, re.M)
        self.sources = re.compile(_MODULE_SOURCE, re.M)
        self.local_sources = re.compile(_LOCAL_SOURCE, re.M)
        self.dirs: dict[str, _DirScan] = {}

    def texts(self) -> dict[str, str]:
        """Every file text read so far, by path."""
        return {p: t for d in self.dirs.values() for p, t in d.texts.items()}

    def reach(self, root: str) -> list[str]:
        """`root` and the local module directories it calls, transitively."""
        order, todo = [], [os.path.normpath(root)]
        while todo:
            d = todo.pop()
            if d in order:
                continue
            order.append(d)
            todo.extend(self.scan(d).calls)
        return order

    def scan(self, directory: str) -> _DirScan:
        if directory in self.dirs:
            return self.dirs[directory]
        out = self.dirs[directory] = _DirScan()
        try:
            names = sorted(self.fs.listdir(directory, only="tf"))
        except OSError:
            out.relevant = True  # the reader reports what is wrong
            return out
        for name in names:
            path = os.path.join(directory, name)
            if self.fs.isdir(path):
                continue
            try:
                text = self.fs.read_text(path)
            except (OSError, UnicodeDecodeError):
                out.relevant = True  # reported by the reader as ECS001 (a FIFO included)
                continue
            out.texts[path] = text
            if self.pattern.search(text):
                out.relevant = True
            if name.endswith(".json"):
                out.relevant = out.relevant or '"module"' in text
                continue
            if "module" not in text:
                continue
            sources = self.sources.findall(text)
            if len(sources) < len(self.modules.findall(text)):
                out.relevant = True  # a module block we cannot follow by text
            for source in sources:
                if "${" in source or not source.startswith(("./", "../")):
                    # Interpolated, or registry / git (followed after `terraform init`).
                    out.relevant = True
            out.calls += [os.path.normpath(os.path.join(directory, source))
                          for source in self.local_sources.findall(text)]
        return out
