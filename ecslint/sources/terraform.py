"""Terraform HCL source: a directory of `.tf`/`.tf.json` files -> resource records."""

from __future__ import annotations

import glob
import os
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
        return ParseProblem(path, f"file is not valid UTF-8 (byte {exc.start})")
    if isinstance(exc, OSError):
        return ParseProblem(path, f"cannot read file: {exc.strerror or exc}")
    return ParseProblem(path, f"cannot parse file: {exc}")


class TerraformReader:
    """Reads module directories once per run and evaluates root modules."""

    def __init__(self, parse: ParseFn = parse_file) -> None:
        self.parse = parse
        self.modules: dict[str, ModuleFiles | None] = {}
        self.result = TerraformResult()
        self.loader = Loader(self.read_module)

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
