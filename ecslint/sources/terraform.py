"""Terraform HCL source: a directory of `.tf`/`.tf.json` files -> resource records."""

from __future__ import annotations

import gc
import os
import re
import sys
from dataclasses import dataclass, field
from typing import Callable

from ecslint import fsio
from ecslint.store import cpus
from ecslint.sources.hcl.module import (Loader, ModuleFiles, ModuleInstance, ParseProblem,
                                        ResourceRecord)
from ecslint.sources.hcl.syntax import Body, HclSyntaxError, parse_hcl, parse_tf_json


is_tf_file = fsio.is_tf_name


def read_source(path: str) -> str:
    """Read a file as UTF-8 (BOM allowed). Raises OSError / UnicodeDecodeError."""
    return fsio.read_bytes(path).decode("utf-8-sig")


def parse_file(path: str, text: str) -> Body:
    return parse_tf_json(text, path) if path.endswith(".json") else parse_hcl(text, path)


# A parse function can be swapped (the parse cache wraps it).
ParseFn = Callable[[str, str], Body]


@dataclass
class TerraformResult:
    records: list[ResourceRecord] = field(default_factory=list)
    problems: list[ParseProblem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # every .tf file read (all modules)
    texts: dict[str, str] = field(default_factory=dict)  # path -> text, for suppressions
    # path -> {first line of a top-level block: its last line}, for suppressions
    block_ends: dict[str, dict[int, int]] = field(default_factory=dict)
    read_by_functions: set[str] = field(default_factory=set)  # file() / templatefile()


def _problem(path: str, exc: Exception) -> ParseProblem:
    if isinstance(exc, HclSyntaxError):
        return ParseProblem(path, exc.message, exc.line, exc.column)
    if isinstance(exc, UnicodeDecodeError):
        data = exc.object[:exc.start]
        line = data.count(b"\n") + 1
        return ParseProblem(path, f"file is not valid UTF-8 (byte {exc.start})", line,
                            exc.start - (data.rfind(b"\n") + 1) + 1)
    if isinstance(exc, OSError):
        return ParseProblem(path, f"cannot read file: {exc.strerror or exc}")
    return ParseProblem(path, f"cannot parse file: {exc}")


class TerraformReader:
    """Reads module directories once per run and evaluates root modules."""

    def __init__(self, parse: ParseFn = parse_file) -> None:
        self.parse = parse
        self.modules: dict[str, ModuleFiles | None] = {}
        self.result = TerraformResult()
        self.loader = Loader(self.read_module, getattr(parse, "parse_expression", None))
        self._texts: dict[str, str] = {}  # read by the pre-scan, not parsed yet

    def read_module(self, directory: str) -> ModuleFiles | None:
        directory = os.path.normpath(directory)
        if directory in self.modules:
            return self.modules[directory]
        if not fsio.isdir(directory):
            self.modules[directory] = None
            return None
        files = ModuleFiles(directory)
        names = sorted(fsio.listdir(directory, only="tf"))
        for name in names:
            path = os.path.join(directory, name)
            if fsio.isdir(path):
                continue
            if not fsio.exists(path):  # a dangling symbolic link
                files.problems.append(ParseProblem(path, "cannot read file: broken symbolic "
                                                         "link"))
                continue
            self.result.files.append(path)
            try:
                text = self._texts.pop(path, None)
                if text is None:
                    text = read_source(path)
                self.result.texts[path] = text
                body = files.bodies[path] = self.parse(path, text)
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
            names += sorted(fsio.listdir(files.dir, only="tfvars"))
        except OSError:
            pass
        for name in names:
            path = os.path.join(files.dir, name)
            if not fsio.isfile(path):
                continue
            try:
                text = read_source(path)
                body = (parse_tf_json(text, path) if name.endswith(".json")
                        else self.parse(path, text))
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
        self.result.records.extend(root.records(types))
        self.result.read_by_functions.update(self.loader.texts)
        late = getattr(self.parse, "late", None)
        if late:  # syntax errors of blocks parsed when first read (sources.hcl.lazy)
            self.result.problems.extend(ParseProblem(*p) for p in late)
            late.clear()

    def read_roots(self, roots: list[str], scan: PreScan,
                   named: set[str] | None = None) -> None:
        """Evaluate root modules, skipping those that cannot hold a resource of `types`.

        A root is skipped when no file of it or of the local modules it calls names one of
        the types (a text scan): its files are listed but not parsed, so an HCL syntax
        error in it is not reported unless one of its files was named. The other roots are
        read in worker processes when there are many (`_read_parallel`), else here.
        """
        types = scan.types
        named_dirs = {os.path.dirname(p) for p in named or ()}
        if named and isinstance(getattr(self.parse, "whole", None), set):
            self.parse.whole.update(named)  # named files are parsed whole: every error shows
        plan = []
        for root in roots:
            reach = scan.reach(root)
            keep = bool(named_dirs.intersection(reach)) or any(scan.dirs[d].relevant
                                                               for d in reach)
            plan.append((root, reach, keep))
        self._texts = {p: t for d in scan.dirs.values() for p, t in d.texts.items()}
        kept = [root for root, _reach, keep in plan if keep]
        if not self._read_parallel(kept, types):
            for root in kept:
                self.read_root(root, types)
        flush = getattr(self.parse, "flush", None)
        if flush is not None:
            flush()
        listed: set[str] = set()
        for _root, reach, keep in plan:
            if keep:
                continue
            for d in reach:
                if d not in self.modules and d not in listed and d not in self._parallel_dirs:
                    listed.add(d)
                    self.result.files.extend(scan.dirs[d].texts)
                    self.result.texts.update(scan.dirs[d].texts)
        self._texts = {}

    _parallel_dirs: frozenset[str] = frozenset()

    def _read_parallel(self, roots: list[str], types: frozenset[str]) -> bool:
        """Evaluate roots in worker processes (forked: they inherit the parser, the pre-scan
        texts and this reader). Each worker parses and evaluates whole roots, so parsing and
        evaluation both use every core; results come back in root order, as if read here.
        False when there are too few roots, one core, or no fork: read them in-process."""
        workers = min(cpus(), len(roots) // PARALLEL_MIN_ROOTS)
        if workers < 2 or sys.platform == "win32":
            return False
        import concurrent.futures
        import multiprocessing

        try:
            context = multiprocessing.get_context("fork")
        except ValueError:
            return False
        from ecslint.sources.hcl import syntax

        syntax._parser()  # loaded once, before the workers fork
        # Contiguous chunks keep the records in root order; six per worker balance the load
        # and bound memory (a chunk's state is dropped when it is done).
        n = min(len(roots), workers * 6)
        chunks = [roots[len(roots) * i // n:len(roots) * (i + 1) // n] for i in range(n)]
        global _FORKED
        _FORKED = (self, types, fsio.recording())
        results = []
        try:
            with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
                results = list(pool.map(_read_chunk, chunks))
        except (OSError, concurrent.futures.BrokenExecutor):
            return False  # no workers (fork failed, one was killed): read in-process
        finally:
            _FORKED = None
        seen_files: set[str] = set()
        seen_problems: set[tuple] = set()
        dirs = set()
        for res, texts, ops, counts in results:
            fsio.merge(ops)
            if hasattr(self.parse, "hits"):  # the parse cache's counters, kept by workers
                self.parse.hits += counts[0]
                self.parse.misses += counts[1]
            self.result.records.extend(res.records)
            for prob in res.problems:
                k = (prob.file, prob.message, prob.line, prob.column)
                if k not in seen_problems:
                    seen_problems.add(k)
                    self.result.problems.append(prob)
            for path in res.files:
                if path not in seen_files:
                    seen_files.add(path)
                    self.result.files.append(path)
                    dirs.add(os.path.dirname(path))
                    self.result.texts[path] = texts.get(path) or self._texts.get(path, "")
            self.result.block_ends.update(res.block_ends)
            self.result.read_by_functions.update(res.read_by_functions)
        self._parallel_dirs = frozenset(dirs)
        return True


# Below this many roots per worker, roots are read in-process: a worker costs ~20 ms.
PARALLEL_MIN_ROOTS = 8
_FORKED: tuple | None = None  # (reader, types, recording), inherited by forked workers
_WORKER_READY = False


def _read_chunk(roots: list[str]) -> tuple[TerraformResult, dict[str, str], dict, tuple]:
    """Worker: read some roots with a fresh reader. Returns the chunk's result, the texts
    the parent lacks, the file-system observations (see ecslint.fsio) made for it and the
    parse cache's (hits, misses) in it.

    Memory stays per chunk: the reader and its evaluation state are dropped after each
    one (the parse cache makes re-reading a shared module cheap), and the cyclic collector,
    paused as in the parent, runs once after each chunk over that chunk's objects only
    (inherited ones are frozen, so their pages are not touched and stay shared)."""
    global _WORKER_READY
    parent, types, recording = _FORKED
    if not _WORKER_READY:
        _WORKER_READY = True
        gc.freeze()
    if recording:
        fsio.start()
    before = (getattr(parent.parse, "hits", 0), getattr(parent.parse, "misses", 0))
    reader = TerraformReader(parent.parse)
    reader._texts = dict(parent._texts)
    for root in roots:
        reader.read_root(root, types)
    flush = getattr(reader.parse, "flush", None)
    if flush is not None:
        flush()
    res = reader.result
    counts = (getattr(parent.parse, "hits", 0) - before[0],
              getattr(parent.parse, "misses", 0) - before[1])
    out = (res, {p: t for p, t in res.texts.items() if p not in parent._texts},
           fsio.stop() if recording else {}, counts)
    del reader
    gc.collect()
    return out


# A module block, and one whose source is its first attribute (as `terraform fmt` users
# write it); compiled by the first scan, not at import.
_MODULE = r'^[ \t]*module[ \t]+"[^"\n]*"[ \t]*\{'
_MODULE_SOURCE = _MODULE + r'\s*(?:(?:#|//)[^\n]*\s*)*source\s*=\s*"([^"\n]*)"'
# Any local source argument, wherever it stands in its block: the call graph.
_LOCAL_SOURCE = r'^\s*source\s*=\s*"(\.{1,2}/[^"\n]*)"'


@dataclass
class _DirScan:
    texts: dict[str, str] = field(default_factory=dict)  # path -> text of its .tf files
    relevant: bool = False  # names a type, or cannot be judged without parsing
    calls: list[str] = field(default_factory=list)  # local module directories called


class PreScan:
    """Cheap text scan of module directories: which could hold a resource of `types`."""

    def __init__(self, types: frozenset[str]) -> None:
        self.types = types
        # A shared literal prefix ("aws_") lets the regex engine skip ahead quickly.
        prefix = os.path.commonprefix(sorted(types))
        self.pattern = re.compile(re.escape(prefix) + "(?:" + "|".join(
            re.escape(t[len(prefix):]) for t in sorted(types)) + ")")
        self.modules = re.compile(_MODULE, re.M)
        self.sources = re.compile(_MODULE_SOURCE, re.M)
        self.local_sources = re.compile(_LOCAL_SOURCE, re.M)
        self.dirs: dict[str, _DirScan] = {}

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
            names = sorted(fsio.listdir(directory, only="tf"))
        except OSError:
            out.relevant = True  # the reader reports what is wrong
            return out
        for name in names:
            path = os.path.join(directory, name)
            if not fsio.isfile(path):
                continue
            try:
                text = read_source(path)
            except (OSError, UnicodeDecodeError):
                out.relevant = True  # reported by the reader as ECS001
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
