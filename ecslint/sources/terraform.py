"""Terraform HCL source: a directory of `.tf`/`.tf.json` files -> resource records."""

from __future__ import annotations

import glob
import os
import re
from dataclasses import dataclass, field
from typing import Callable

from ecslint.sources.hcl.module import (Loader, ModuleFiles, ModuleInstance, ParseProblem,
                                        ResourceRecord)
from ecslint.sources.hcl.syntax import Body, HclSyntaxError, parse_hcl, parse_tf_json


def is_tf_file(name: str) -> bool:
    return name.endswith(".tf") or name.endswith(".tf.json")


def read_source(path: str) -> str:
    """Read a file as UTF-8 (BOM allowed). Raises OSError / UnicodeDecodeError."""
    with open(path, "rb") as fh:
        data = fh.read()
    return data.decode("utf-8-sig")


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
        if not os.path.isdir(directory):
            self.modules[directory] = None
            return None
        files = ModuleFiles(directory)
        names = sorted(n for n in os.listdir(directory) if is_tf_file(n))
        for name in names:
            path = os.path.join(directory, name)
            if os.path.isdir(path):
                continue
            if not os.path.exists(path):  # a dangling symbolic link
                files.problems.append(ParseProblem(path, "cannot read file: broken symbolic "
                                                         "link"))
                continue
            self.result.files.append(path)
            try:
                text = self._texts.pop(path, None)
                if text is None:
                    text = read_source(path)
                self.result.texts[path] = text
                files.bodies[path] = self.parse(path, text)
            except (OSError, UnicodeDecodeError, HclSyntaxError) as exc:
                files.problems.append(_problem(path, exc))
        files.index()
        self.result.problems.extend(files.problems)
        self.modules[directory] = files
        return files

    def _tfvars(self, files: ModuleFiles) -> None:
        names = ["terraform.tfvars", "terraform.tfvars.json"]
        names += sorted(os.path.basename(p) for p in
                        glob.glob(os.path.join(glob.escape(files.dir), "*.auto.tfvars"))
                        + glob.glob(os.path.join(glob.escape(files.dir), "*.auto.tfvars.json")))
        for name in names:
            path = os.path.join(files.dir, name)
            if not os.path.isfile(path):
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

    def read_roots(self, roots: list[str], scan: PreScan,
                   named: set[str] | None = None) -> None:
        """Evaluate root modules, skipping those that cannot hold a resource of `types`.

        A root is skipped when no file of it or of the local modules it calls names one of
        the types (a text scan): its files are listed but not parsed, so an HCL syntax
        error in it is not reported unless one of its files was named. The files of the
        other roots are handed to the parse function's `prefetch` (the parse cache), which
        parses many misses in parallel.
        """
        types = scan.types
        named_dirs = {os.path.dirname(p) for p in named or ()}
        plan = []
        for root in roots:
            reach = scan.reach(root)
            keep = bool(named_dirs.intersection(reach)) or any(scan.dirs[d].relevant
                                                               for d in reach)
            plan.append((root, reach, keep))
        self._texts = {p: t for d in scan.dirs.values() for p, t in d.texts.items()}
        prefetch = getattr(self.parse, "prefetch", None)
        if prefetch is not None:
            dirs = dict.fromkeys(d for _root, reach, keep in plan if keep for d in reach)
            prefetch([(p, self._texts[p]) for d in dirs for p in scan.dirs[d].texts])
        listed: set[str] = set()
        for root, reach, keep in plan:
            if keep:
                self.read_root(root, types)
                continue
            for d in reach:
                if d not in self.modules and d not in listed:
                    listed.add(d)
                    self.result.files.extend(scan.dirs[d].texts)
                    self.result.texts.update(scan.dirs[d].texts)
        self._texts = {}


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
            names = sorted(n for n in os.listdir(directory) if is_tf_file(n))
        except OSError:
            out.relevant = True  # the reader reports what is wrong
            return out
        for name in names:
            path = os.path.join(directory, name)
            if not os.path.isfile(path):
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
