"""SARIF 2.1.0 (OASIS), as GitHub code scanning reads it: one rule per code, with its doc.

Code scanning resolves a relative `artifactLocation.uri` against the repository's root,
so file URIs are relative to the git top level of the working directory (or to the
working directory outside a repository), under `uriBaseId` %SRCROOT%, from wherever
ecslint runs; a file outside that root gets an absolute `file:` URI.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from pathlib import Path
from urllib.parse import quote

from ecslint import __version__
from ecslint.cache.fsio import FileSystem
from ecslint.engine import Report
from ecslint.model import Finding, Severity

SCHEMA_URI = ("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
              "sarif-schema-2.1.0.json")
INFORMATION_URI = "https://github.com/ecslint/ecslint"
SRCROOT = "%SRCROOT%"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _help(rule) -> str:
    from ecslint import resources

    try:
        return resources.read_text(f"{rule.code}.md")
    except OSError:
        return rule.summary


def _rule(rule) -> dict:
    text = _help(rule)
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.summary},
        "help": {"text": text, "markdown": text},
        "helpUri": rule.url,
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
        "properties": {"tags": ["ecs"] + (["live"] if rule.live_only else [])},
    }


def repository_root(cwd: str, fs: FileSystem) -> str:
    """The top level of the git work tree that holds `cwd`: the nearest directory with a
    `.git` entry (a directory, or a file in a linked worktree or a submodule), else `cwd`.
    Found by looking, not by running git: no process to start, and every probe goes
    through `fs`, so the result cache sees a repository appear or vanish."""
    directory = cwd
    while not fs.exists(os.path.join(directory, ".git")):
        parent = os.path.dirname(directory)
        if parent == directory:
            return cwd
        directory = parent
    return directory


def _under(path: str, root: str) -> str | None:
    """`path` relative to `root`, with `/` separators; None when it lies outside."""
    relative = os.path.relpath(os.path.abspath(path), root)
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        return None
    return relative.replace(os.sep, "/")


def artifact_location(path: str, root: str) -> dict:
    """A file as code scanning reads it: relative to `root` under %SRCROOT%, or an
    absolute file URI when it lies outside `root`; anything else (an ARN) as it is."""
    if path.startswith("arn:"):
        return {"uri": path}
    relative = _under(path, root)
    if relative is None:
        return {"uri": Path(os.path.abspath(path)).as_uri()}
    # A file name that is not UTF-8 (surrogate-escaped by os.listdir) keeps its bytes.
    return {"uri": quote(relative, errors="surrogateescape"), "uriBaseId": SRCROOT}


def _location(f: Finding, root: str) -> dict:
    physical: dict = {"artifactLocation": artifact_location(f.file, root)}
    if f.line is not None:
        physical["region"] = {"startLine": f.line, "startColumn": f.column or 1}
    location: dict = {"physicalLocation": physical}
    if f.resource:
        location["logicalLocations"] = [{"fullyQualifiedName": f.resource, "kind": "resource"}]
    return location


def _related(f: Finding, root: str) -> list[dict]:
    """The other places that decided `f` (Provenance): a variable default, a tfvars line,
    a module argument, each with its note."""
    out = []
    for i, r in enumerate(f.related):
        physical: dict = {"artifactLocation": artifact_location(r.file, root)}
        if r.line is not None:
            physical["region"] = {"startLine": r.line, "startColumn": r.column or 1}
        out.append({"id": i, "physicalLocation": physical, "message": {"text": r.message}})
    return out


def _fingerprint(f: Finding, root: str, seen: Counter) -> str:
    """Stable across line shifts (the baseline's key) and working directories (the path
    from the root), numbered among equal keys."""
    path = f.file if f.file.startswith("arn:") else _under(f.file, root) or f.file
    key = (path, f.code, f.resource or "", f.container or "")
    seen[key] += 1
    raw = "\0".join(key) + f"\0{seen[key]}"
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _directory_uri(path: Path) -> str:
    uri = path.as_uri()
    return uri if uri.endswith("/") else uri + "/"


def document(report: Report, fs: FileSystem | None = None) -> dict:
    """`fs`: the run's file system, through which the repository root is looked up."""
    from ecslint.checks import ALL_RULES

    root = repository_root(os.getcwd(), fs or FileSystem())
    index = {rule.code: i for i, rule in enumerate(ALL_RULES)}
    seen: Counter = Counter()
    results = []
    for f in report.findings:
        result = {
            "ruleId": f.code,
            "ruleIndex": index[f.code],
            "level": _LEVEL[f.severity],
            "message": {"text": f.message},
            "locations": [_location(f, root)],
            "partialFingerprints": {"ecslint/v1": _fingerprint(f, root, seen)},
        }
        if f.related:
            result["relatedLocations"] = _related(f, root)
        props = {k: v for k, v in (("resource", f.resource), ("container", f.container)) if v}
        if props:
            result["properties"] = props
        results.append(result)
    run: dict = {
        "tool": {"driver": {"name": "ecslint", "version": __version__,
                            "semanticVersion": __version__,
                            "informationUri": INFORMATION_URI,
                            "rules": [_rule(rule) for rule in ALL_RULES]}},
        "invocations": [{
            "executionSuccessful": not report.usage_errors,
            "toolExecutionNotifications": [{"level": "error", "message": {"text": m}}
                                           for m in report.usage_errors],
        }],
        "originalUriBaseIds": {SRCROOT: {"uri": _directory_uri(Path(root))}},
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    if report.extra:
        run["properties"] = {"ecslint": report.extra}
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(report: Report, color: bool = False, fs: FileSystem | None = None) -> str:
    return json.dumps(document(report, fs), indent=2) + "\n"
