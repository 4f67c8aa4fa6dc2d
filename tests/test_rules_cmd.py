"""Rule discovery: `ecslint rules` (table or JSON) and `ecslint rule CODE`."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from ecslint import resources
from ecslint.checks import ALL_RULES
from ecslint.cli import app


def invoke(*args: str):
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def test_rules_table():
    result = invoke("rules")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert [ln.split()[0] for ln in lines] == [r.code for r in ALL_RULES]
    assert lines[0] == ("ECS001  parse-error                          error    "
                        "An input file cannot be read or parsed.")
    ecs103 = lines[[r.code for r in ALL_RULES].index("ECS103")]
    assert ecs103.split()[1:3] == ["container-memory-below-task", "warning"]


def test_rules_json():
    result = invoke("rules", "--format", "json")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc == [{"code": r.code, "name": r.name, "severity": r.severity.value,
                    "summary": r.summary, "live_only": r.live_only, "url": r.url}
                   for r in ALL_RULES]
    assert {d["code"] for d in doc if d["live_only"]} == {"ECS901", "ECS902", "ECS903", "ECS904",
                                                         "ECS905", "ECS906", "ECS907"}


def test_rules_rejects_other_formats():
    result = invoke("rules", "--format", "sarif")
    assert (result.exit_code, result.stdout) == (2, "")
    assert "'sarif' is not one of 'concise', 'json'" in result.stderr
    result = invoke("rules", "--format", "yaml")
    assert result.exit_code == 2
    assert "Invalid value for '--format'" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("code", ["ECS103", "ecs103"])
def test_rule_prints_its_doc(code):
    result = invoke("rule", code)
    assert result.exit_code == 0
    assert result.stdout == resources.read_text("ECS103.md")
    assert result.stdout.startswith("# ECS103: container-memory-below-task\n")


@pytest.mark.parametrize("code", ["ECS999", "ECS1", "nonsense"])
def test_unknown_rule_is_a_clear_error(code):
    result = invoke("rule", code)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == \
        f"ecslint: error: unknown rule {code.upper()}; `ecslint rules` lists them\n"


def test_rule_needs_a_code():
    result = invoke("rule")
    assert result.exit_code == 2
    # Rich may wrap or box the message; the words are what matter.
    assert "Missing argument" in " ".join(result.stderr.split())


def test_through_the_real_command():
    proc = subprocess.run([sys.executable, "-m", "ecslint", "rule", "ECS000"],
                          capture_output=True, text=True, timeout=60)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == "ecslint: error: unknown rule ECS000; `ecslint rules` lists them\n"
    proc = subprocess.run([sys.executable, "-m", "ecslint", "rules"], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0
    assert len(proc.stdout.splitlines()) == len(ALL_RULES)
