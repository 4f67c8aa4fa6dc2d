"""SARIF 2.1.0 (OASIS), as GitHub code scanning reads it: one rule per code, with its doc."""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from pathlib import Path
from urllib.parse import quote

from ecslint import __version__
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


def _is_file(f: Finding) -> bool:
    return not f.file.startswith("arn:")


def _location(f: Finding) -> dict:
    if _is_file(f):
        # A file name that is not UTF-8 (surrogate-escaped by os.listdir) keeps its bytes.
        artifact = {"uri": quote(f.file.replace(os.sep, "/"), errors="surrogateescape"),
                    "uriBaseId": SRCROOT}
    else:
        artifact = {"uri": f.file}
    physical: dict = {"artifactLocation": artifact}
    if f.line is not None:
        physical["region"] = {"startLine": f.line, "startColumn": f.column or 1}
    location: dict = {"physicalLocation": physical}
    if f.resource:
        location["logicalLocations"] = [{"fullyQualifiedName": f.resource, "kind": "resource"}]
    return location


def _fingerprint(f: Finding, seen: Counter) -> str:
    """Stable across line shifts (the baseline's key), numbered among equal keys."""
    key = (f.file, f.code, f.resource or "", f.container or "")
    seen[key] += 1
    raw = "\0".join(key) + f"\0{seen[key]}"
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _directory_uri(path: Path) -> str:
    uri = path.as_uri()
    return uri if uri.endswith("/") else uri + "/"


def document(report: Report) -> dict:
    from ecslint.checks import ALL_RULES

    index = {rule.code: i for i, rule in enumerate(ALL_RULES)}
    seen: Counter = Counter()
    results = []
    for f in report.findings:
        result = {
            "ruleId": f.code,
            "ruleIndex": index[f.code],
            "level": _LEVEL[f.severity],
            "message": {"text": f.message},
            "locations": [_location(f)],
            "partialFingerprints": {"ecslint/v1": _fingerprint(f, seen)},
        }
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
        "originalUriBaseIds": {SRCROOT: {"uri": _directory_uri(Path.cwd())}},
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    if report.extra:
        run["properties"] = {"ecslint": report.extra}
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(report: Report, color: bool = False) -> str:
    return json.dumps(document(report), indent=2) + "\n"
