"""A crash never looks like findings: one line on stderr, exit code 2, and the report
document asked for (json, sarif, junit) still written, valid, holding the error."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

from ecslint import cli
from helpers import write
from test_bad_input import GOOD_MODULE

MESSAGE = ("internal error: RuntimeError: disk on fire (a bug in ecslint 0.1.0; please report "
           "it at https://github.com/ecslint/ecslint/issues with this input or a reduced copy; "
           "ECSLINT_DEBUG=1 shows the traceback)")


@pytest.fixture()
def crashing(monkeypatch, tmp_path):
    from ecslint import check

    def run(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(check, "run", run)
    monkeypatch.setenv("ECSLINT_CACHE_DIR", str(tmp_path / "cache"))
    write(tmp_path / "m", GOOD_MODULE)
    monkeypatch.chdir(tmp_path)


def invoke(*args: str, env: dict | None = None):
    return CliRunner().invoke(cli.app, list(args), env=env)


@pytest.mark.parametrize("cache", ["--no-cache", None])
def test_a_crash_is_one_line_and_exit_2(crashing, cache):
    result = invoke("check", *([cache] if cache else []), "m")
    assert (result.exit_code, result.stdout, result.stderr) == (
        2, "", f"ecslint: error: {MESSAGE}\n")


def test_ecslint_debug_shows_the_traceback(crashing):
    result = invoke("check", "m", env={"ECSLINT_DEBUG": "1"})
    assert result.exit_code == 2
    assert "Traceback" in result.stderr and "RuntimeError: disk on fire" in result.stderr
    assert result.stderr.endswith(f"ecslint: error: {MESSAGE}\n")


def test_the_json_document_is_still_written(crashing, tmp_path):
    result = invoke("check", "--format", "json", "m")
    doc = json.loads(result.stdout)
    assert (result.exit_code, doc["findings"], doc["errors"]) == (2, [], [MESSAGE])
    assert invoke("check", "--format", "json", "-o", "r.json", "m").exit_code == 2
    assert json.loads((tmp_path / "r.json").read_text())["errors"] == [MESSAGE]


def test_the_sarif_document_is_still_written(crashing):
    result = invoke("check", "--format", "sarif", "m")
    run = json.loads(result.stdout)["runs"][0]
    assert result.exit_code == 2 and run["results"] == []
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is False
    assert [n["message"]["text"] for n in invocation["toolExecutionNotifications"]] == [MESSAGE]


def test_the_junit_document_is_still_written(crashing):
    result = invoke("check", "--format", "junit", "m")
    root = ET.fromstring(result.stdout)
    assert result.exit_code == 2
    assert [e.get("message") for e in root.iter("error")] == [MESSAGE]


def test_a_configuration_error_writes_the_document_too(tmp_path, monkeypatch):
    write(tmp_path / "m", GOOD_MODULE)
    (tmp_path / ".ecslint.toml").write_text('fail-on = "never"\n')
    monkeypatch.chdir(tmp_path)
    result = invoke("check", "--no-cache", "--format", "sarif", "-o", "r.sarif", "m")
    assert result.exit_code == 2 and result.stdout == ""
    doc = json.loads((tmp_path / "r.sarif").read_text())
    assert doc["runs"][0]["invocations"][0]["executionSuccessful"] is False


def test_a_crash_outside_any_command_is_one_line_and_exit_2(tmp_path):
    probe = ("import sys\nfrom ecslint import cli\n"
             "def boom(*a, **k):\n    raise MemoryError()\n"
             "cli.app = boom\nsys.argv = ['ecslint', 'rules']\ncli.main()\n")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith("ecslint: error: internal error: MemoryError (a bug in")
    assert "Traceback" not in proc.stderr and len(proc.stderr.splitlines()) == 1
