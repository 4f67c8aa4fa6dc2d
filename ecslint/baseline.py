"""Baseline: record today's findings, then report only new ones (line numbers ignored)."""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

from ecslint import __version__
from ecslint.cache.fsio import FileSystem
from ecslint.model import Finding

VERSION = 1
# Never baselined: a file that does not parse hides every other finding in it.
NEVER = frozenset({"ECS001"})

Key = tuple[str, str, str | None, str | None]  # file, code, resource, container


class BaselineError(Exception):
    """A baseline file that cannot be read or written; the message is one line."""


@dataclass
class Baseline:
    """Recorded findings, counted by key, and the baseline file's directory."""

    counts: Counter = field(default_factory=Counter)  # Key -> number of findings
    base: str = "."  # the baseline file's directory: its paths are relative to it


def _file_key(file: str, base: str) -> str:
    """Paths relative to the baseline's directory, with `/`, so any cwd gives the same key."""
    if file.startswith("arn:"):
        return file
    rel = os.path.relpath(os.path.abspath(file), os.path.abspath(base))
    return rel.replace(os.sep, "/")


def _key(f: Finding, base: str) -> Key:
    return (_file_key(f.file, base), f.code, f.resource, f.container)


def write(findings: Iterable[Finding], path: str) -> int:
    """Write the baseline of `findings` to `path`; returns how many findings it records."""
    base = os.path.dirname(os.path.abspath(path))
    counts = Counter(_key(f, base) for f in findings if f.code not in NEVER)
    entries = [{"file": k[0], "code": k[1], "resource": k[2], "container": k[3], "count": n}
               for k, n in sorted(counts.items(), key=lambda kv: tuple(x or "" for x in kv[0]))]
    doc = {"version": VERSION, "generator": f"ecslint {__version__}", "findings": entries}
    try:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(doc, indent=2) + "\n")
    except OSError as exc:
        raise BaselineError(f"cannot write baseline {path}: {exc.strerror or exc}") from None
    return sum(counts.values())


def load(path: str, fs: FileSystem | None = None) -> Baseline:
    try:
        text = (fs or FileSystem()).read_bytes(path).decode("utf-8")
    except FileNotFoundError:
        raise BaselineError(f"baseline {path}: no such file "
                            "(create it with --write-baseline)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"cannot read baseline {path}: "
                            f"{getattr(exc, 'strerror', None) or exc}") from None
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise BaselineError(f"baseline {path}: invalid JSON: {exc}") from None
    if not isinstance(doc, dict) or "version" not in doc:
        raise BaselineError(f"baseline {path}: not an ecslint baseline (no version key)")
    if doc["version"] != VERSION:
        raise BaselineError(f"baseline {path}: unsupported version {doc['version']!r} "
                            f"(this ecslint reads version {VERSION})")
    baseline = Baseline(base=os.path.dirname(os.path.abspath(path)))
    entries = doc.get("findings")
    if not isinstance(entries, list):
        raise BaselineError(f"baseline {path}: 'findings' must be a list")
    for i, e in enumerate(entries):
        if not (isinstance(e, dict) and isinstance(e.get("file"), str)
                and isinstance(e.get("code"), str)
                and all(isinstance(e.get(k), (str, type(None))) for k in ("resource", "container"))
                and isinstance(e.get("count", 1), int) and not isinstance(e.get("count"), bool)
                and e.get("count", 1) > 0):
            raise BaselineError(f"baseline {path}: findings[{i}] is not a valid entry")
        key = (e["file"], e["code"], e.get("resource"), e.get("container"))
        baseline.counts[key] += e.get("count", 1)
    return baseline


def filter_new(findings: Iterable[Finding], data: Baseline) -> list[Finding]:
    """Findings beyond what the baseline recorded for their key, in their given order."""
    left = Counter(data.counts)
    new = []
    for f in findings:
        key = _key(f, data.base)
        if f.code not in NEVER and left[key] > 0:
            left[key] -= 1
        else:
            new.append(f)
    return new
