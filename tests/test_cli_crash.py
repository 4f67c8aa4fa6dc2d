"""A crash never looks like findings: one line on stderr, exit code 2, and the report
document asked for (json, sarif, junit) still written, valid, holding the error."""

from __future__ import annotations

import json
import os
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


@pytest.mark.parametrize("fmt", ["concise", "full", "json", "sarif", "junit", "github"])
@pytest.mark.parametrize("cache", [True, False])
def test_text_that_cannot_be_encoded_is_escaped_not_a_crash(tmp_path, fmt, cache):
    """A lone surrogate in a JSON string, a file name that is not UTF-8."""
    (tmp_path / "td.json").write_text(
        '{"family": "\\ud800", "containerDefinitions": [{"name": "\\udfff", "image": "a", '
        '"memory": 512}, {"name": "b", "image": "c"}]}')
    with open(os.path.join(os.fsencode(tmp_path), b"\xff.tf"), "w") as fh:
        fh.write('resource "aws_ecs_cluster" "c" {\n  name = "x"\n}\n')
    env = {**os.environ, "ECSLINT_CACHE_DIR": str(tmp_path / ".cache")}
    env.pop("ECSLINT_NO_CACHE", None)
    if not cache:
        env["ECSLINT_NO_CACHE"] = "1"
    for run in (1, 2):  # with the cache: cold, then replayed
        proc = subprocess.run([sys.executable, "-m", "ecslint", "check", "--format", fmt,
                               "--output", str(tmp_path / "out"), "."], cwd=tmp_path, env=env,
                              capture_output=True, timeout=120)
        assert (proc.returncode, proc.stderr) == (1, b""), (run, proc.stderr)
        out = (tmp_path / "out").read_bytes()
        assert b"ECS401" in out and (b"\\udcff" in out or b"%FF" in out)
