"""Input discovery: the paths of a `check` -> module directories, JSON files and the files
named on the command line; and which module directories are root modules."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Iterable

from ecslint.cache.fsio import FileSystem
from ecslint.inputs import JSON, TERRAFORM, TFVARS, kind_of
from ecslint.model import InputProblem
from ecslint.sources.build import RESOURCE_TYPES
from ecslint.sources.terraform import PreScan


@dataclass
class Inputs:
    """What the paths of a run hold: module directories, JSON files, named files."""

    module_dirs: set[str] = field(default_factory=set)
    json_files: list[str] = field(default_factory=list)
    named: set[str] = field(default_factory=set)  # files named on the command line
    # The named files when only files were named: only their findings are reported
    # (pre-commit). None when a directory was given (report everything found).
    targets: set[str] | None = None
    missing: list[str] = field(default_factory=list)
    problems: list[InputProblem] = field(default_factory=list)  # directories not listed


def collect(paths: Iterable[str], fs: FileSystem) -> Inputs:
    inputs = Inputs()
    named = inputs.named
    whole = False

    def unreadable(exc: OSError) -> None:
        inputs.problems.append(InputProblem(exc.filename, "cannot read directory: "
                                                          f"{exc.strerror or exc}"))

    for raw in paths:
        path = os.path.abspath(raw)
        if fs.isdir(path):
            whole = True
            # Hidden directories (.terraform, .git) are skipped; files sorted.
            for root, _dirs, files in fs.walk_inputs(path, unreadable):
                kinds = [kind_of(f) for f in files]
                if TERRAFORM in kinds:
                    inputs.module_dirs.add(root)
                inputs.json_files += [os.path.join(root, f)
                                      for f, k in zip(files, kinds) if k is JSON]
        elif fs.exists(path) or fs.islink(path):  # a FIFO or device is refused when read
            named.add(path)
            kind = kind_of(path)
            if kind is TERRAFORM or kind is TFVARS:
                inputs.module_dirs.add(os.path.dirname(path))
            elif kind is JSON:
                inputs.json_files.append(path)
                # It may be a module's file()/templatefile() input: read nearby modules too.
                inputs.module_dirs |= _nearby_modules(os.path.dirname(path), fs)
        else:
            inputs.missing.append(raw)
    if named and not whole:
        inputs.targets = named
    return inputs


def _nearby_modules(directory: str, fs: FileSystem, levels: int = 2) -> set[str]:
    out = set()
    for _ in range(levels + 1):
        try:
            if fs.listdir(directory, only="tf"):
                out.add(directory)
        except OSError:
            pass
        if fs.isdir(os.path.join(directory, ".git")):
            break
        directory = os.path.dirname(directory)
    return out


def terraform_roots(inputs: Inputs, fs: FileSystem) -> tuple[list[str], PreScan]:
    """The root modules among the inputs' module directories, with the pre-scan that found
    them (the loader reuses its texts)."""
    scan = PreScan(RESOURCE_TYPES, fs)
    return module_roots(inputs.module_dirs, inputs.targets, scan, fs), scan


def module_roots(dirs: set[str], targets: set[str] | None, scan: PreScan,
                 fs: FileSystem) -> list[str]:
    """Directories to evaluate as root modules: those not called by another one we read.

    For named files (pre-commit) a directory called by a parent directory's module is
    evaluated through that caller, so its variables get the caller's arguments. The module
    calls come from the reader's text pre-scan, so every file is read once.
    """
    called: set[str] = set()
    for d in dirs:
        called.update(scan.scan(d).calls)
    roots = {d for d in dirs if d not in called}
    if targets is not None:
        for d in list(roots):
            caller = _find_caller(d, scan, fs)
            if caller:
                roots.discard(d)
                roots.add(caller)
    return sorted(roots)


def _find_caller(directory: str, scan: PreScan, fs: FileSystem, levels: int = 3) -> str | None:
    parent = directory
    for _ in range(levels):
        parent = os.path.dirname(parent)
        if not parent or parent == os.path.dirname(parent):
            return None
        calls = scan.scan(parent).calls
        if fs.isdir(os.path.join(parent, ".git")):
            return parent if directory in calls else None
        if directory in calls:
            return _find_caller(parent, scan, fs) or parent
    return None
