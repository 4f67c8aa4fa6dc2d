"""CLI and configuration cases that mutation testing found unguarded (issue #15).
In-process (click's CliRunner): a subprocess would run the installed code, never a mutant."""

from __future__ import annotations

import io
import json
import os
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ecslint import cli
from ecslint.cli import app
from ecslint.config import ConfigError, load_settings

FIXTURE = Path(__file__).parent / "fixtures" / "config" / "infra"
ERASE = "\r\033[K"


@pytest.fixture()
def project(tmp_path, monkeypatch):
    shutil.copytree(FIXTURE, tmp_path / "infra")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ECSLINT_CACHE_DIR", str(tmp_path / "cache"))
    for k in ("NO_COLOR", "FORCE_COLOR", "CI", "ECSLINT_PROGRESS"):
        monkeypatch.delenv(k, raising=False)
    return tmp_path


def invoke(*args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


# ------------------------------------------------------------------ colour

class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("no_color, output, human, env, want", [
    (False, None, True, {}, True),  # a person at a terminal
    (True, None, True, {}, False),  # --no-color
    (False, "out.txt", True, {}, False),  # a file
    (False, None, False, {}, False),  # a machine format
    (False, None, True, {"NO_COLOR": "1"}, False),
    (False, None, True, {"NO_COLOR": ""}, True),  # set but empty does not count
])
def test_use_color_on_a_terminal(monkeypatch, no_color, output, human, env, want):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setattr(sys, "stdout", Tty())
    assert cli.use_color(no_color, output, human) is want


def test_force_color_off_a_terminal(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    assert cli.use_color(False, None, True) is False
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert cli.use_color(False, None, True) is True
    assert cli.use_color(True, None, True) is False


# ------------------------------------------------------------------ output, statistics

def test_output_file_is_written_and_stdout_stays_empty(project):
    result = invoke("check", "infra", "--no-cache", "--format", "json", "--output", "r.json")
    assert (result.exit_code, result.stdout) == (1, "")
    doc = json.loads((project / "r.json").read_text())
    assert len(doc["findings"]) == 5


def test_write_file_escapes_a_lone_surrogate(tmp_path):
    path = tmp_path / "out.txt"
    cli.write_file(str(path), "name \udcff.tf\n")
    assert path.read_bytes() == b"name \\udcff.tf\n"


def test_statistics_go_to_stdout_for_a_person_and_stderr_for_a_machine_format(project):
    human = invoke("check", "infra", "--no-cache", "--statistics")
    table = "    2\tECS103\t"
    assert table in human.stdout and table not in human.stderr
    machine = invoke("check", "infra", "--no-cache", "--statistics", "--format", "json")
    assert table in machine.stderr and table not in machine.stdout
    json.loads(machine.stdout)
    to_file = invoke("check", "infra", "--no-cache", "--statistics", "--format", "json",
                     "--output", "r.json")
    assert table in to_file.stdout  # the stdout is free when the report goes to a file


def test_progress_is_shown_and_erased_when_asked(project):
    result = invoke("check", "infra", "--no-cache", "--progress")
    assert result.stderr.startswith(f"{ERASE}ecslint check: 1/1 Terraform roots, infra")
    assert result.stderr.endswith(ERASE)
    assert invoke("check", "infra", "--no-cache", "--no-progress").stderr == ""


def test_skip_non_ecs_json_reaches_the_check(project):
    # README, Inputs: a named JSON file that does not parse is ECS001, unless
    # --skip-non-ecs-json scopes named files as a directory walk does
    (project / "tsconfig.json").write_text('{ // comments\n}\n')
    plain = invoke("check", "tsconfig.json", "--no-cache")
    skipped = invoke("check", "tsconfig.json", "--no-cache", "--skip-non-ecs-json")
    assert plain.exit_code == 2 and "tsconfig.json:" in plain.stdout
    assert "ECS001" in plain.stdout
    assert "ECS001" not in skipped.stdout and skipped.exit_code != plain.exit_code


def test_write_baseline_says_one_finding_in_the_singular(project):
    for name in os.listdir(project / "infra"):
        if name != "cluster.tf":
            os.remove(project / "infra" / name)
    result = invoke("check", "infra", "--write-baseline", "b.json")
    assert (result.exit_code, result.stderr) == (0, "ecslint: wrote 1 finding to b.json\n")


# ------------------------------------------------------------------ configuration errors

def test_a_config_that_cannot_be_read_says_why(tmp_path):
    fifo = tmp_path / "ecslint.toml"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError) as caught:
        load_settings(str(fifo))
    assert str(caught.value).endswith(
        "ecslint.toml: cannot read: not a regular file (a named pipe)")


def test_an_error_at_the_top_level_of_the_config_is_named_so():
    # a table that is not a table at all: the error has no key to name
    from ecslint.config import validate

    with pytest.raises(ConfigError) as caught:
        validate(["select"], "x.toml")
    assert str(caught.value) == 'x.toml: (top level): expected a table, got an array (["select"])'
    with pytest.raises(ConfigError) as caught:
        validate(["select"], "pyproject.toml", "tool.ecslint")
    assert str(caught.value).startswith("pyproject.toml: tool.ecslint: expected a table")


# ------------------------------------------------------------------ the options themselves

@pytest.fixture()
def fresh_cli():
    """ecslint.cli imported again: its options are built when the module is imported, so a
    test that means to see them as the code now builds them must import it now."""
    import importlib

    return importlib.reload(cli)


def test_check_help_lists_the_shared_options_and_the_arguments(fresh_cli):
    result = CliRunner().invoke(fresh_cli.app, ["check", "--help"], terminal_width=200)
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    for part in [
        "Arguments: [PATHS]... Files or directories (default: .).",
        "--format [concise|full|json|sarif|junit|github] Output format (default: concise).",
        "-o, --output TEXT Write the report to FILE.",
        "--fail-on [error|warning|info] Lowest severity that fails (default: warning).",
        "--progress / --no-progress Progress on stderr (default: when it is a terminal and "
        "not CI; also ECSLINT_PROGRESS=1/0).",
    ]:
        assert part in text, part


def test_check_options_parse_as_documented(fresh_cli, project):
    bad = CliRunner().invoke(fresh_cli.app, ["check", "infra", "--format", "xml"])
    assert bad.exit_code == 2 and "Invalid value for '--format'" in bad.stderr
    long = CliRunner().invoke(fresh_cli.app, ["check", "infra", "--no-cache", "--output",
                                              "a.txt"])
    short = CliRunner().invoke(fresh_cli.app, ["check", "infra", "--no-cache", "-o", "b.txt"])
    assert (long.exit_code, short.exit_code) == (1, 1)
    assert (project / "a.txt").read_text() == (project / "b.txt").read_text() != ""
    info = CliRunner().invoke(fresh_cli.app, ["check", "infra", "--no-cache", "--fail-on",
                                              "error"])
    assert info.exit_code == 0  # warnings only: below --fail-on error
    quiet = CliRunner().invoke(fresh_cli.app, ["check", "infra", "--no-cache",
                                               "--progress"])
    assert "Terraform roots" in quiet.stderr
