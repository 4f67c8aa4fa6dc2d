"""JUnit XML for CI test reports: one testcase per (file, rule) pair. A pair whose findings
fail the run (at or above --fail-on) is a failure; one below it passes, with its findings
in <system-out>, so the report and the job's exit code agree."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict

from ecslint.engine import Report
from ecslint.model import Finding, Severity
from ecslint.report import fails
from ecslint.report.concise_format import line

# Characters XML 1.0 cannot carry, even escaped.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    return _INVALID_XML.sub("\ufffd", text)


def _details(f: Finding) -> str:
    out = [line(f), f"    {f.severity.value} {f.name}"]
    if f.resource:
        out.append(f"    resource {f.resource}")
    if f.container:
        out.append(f"    container {f.container}")
    if f.url:
        out.append(f"    see {f.url}")
    return "\n".join(out)


def _testcase(parent: ET.Element, classname: str, name: str, **attrs: str) -> ET.Element:
    return ET.SubElement(parent, "testcase", {"classname": _clean(classname),
                                              "name": _clean(name), "time": "0", **attrs})


def document(report: Report, fail_on: Severity = Severity.WARNING) -> ET.Element:
    groups: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in report.findings:  # already sorted by file, line, column, code
        groups[(f.file, f.code)].append(f)
    pairs = sorted(groups)
    # A rule has one severity, so all findings of a pair fail or none does.
    failing = {pair for pair in pairs if fails(groups[pair][0], fail_on)}
    errors = 1 if report.usage_errors else 0
    counts = {"tests": str(len(pairs) + 1), "failures": str(len(failing)),
              "errors": str(errors), "skipped": "0", "time": "0"}
    root = ET.Element("testsuites", {"name": "ecslint", **counts})
    suite = ET.SubElement(root, "testsuite", {"name": "ecslint", **counts})
    for file, code in pairs:
        found = groups[(file, code)]
        first = found[0]
        attrs = {} if file.startswith("arn:") else {"file": _clean(file)}
        if first.line is not None:
            attrs["line"] = str(first.line)
        case = _testcase(suite, file, f"{code} {first.name}", **attrs)
        details = _clean("\n".join(_details(f) for f in found)) + "\n"
        if (file, code) not in failing:
            ET.SubElement(case, "system-out").text = details
            continue
        message = first.message if len(found) == 1 else f"{len(found)} findings: {first.message}"
        failure = ET.SubElement(case, "failure", {"message": _clean(message),
                                                  "type": f"{code} {first.severity.value}"})
        failure.text = details
    # The files without findings, as one testcase (the report does not name them).
    noun = "file" if report.files == 1 else "files"
    case = _testcase(suite, "ecslint", f"checked {report.files} {noun}")
    if report.usage_errors:
        error = ET.SubElement(case, "error", {"message": _clean(report.usage_errors[0]),
                                              "type": "usage"})
        error.text = _clean("\n".join(report.usage_errors)) + "\n"
    return root


def render(report: Report, color: bool = False, fail_on: Severity = Severity.WARNING) -> str:
    root = document(report, fail_on)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
