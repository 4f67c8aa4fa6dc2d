"""Configuration: discovery, validation errors, and every key end to end through the CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from ecslint import resources
from ecslint.checks.base import DEFAULT_OPTIONS, UNSET_OPTIONS
from ecslint.cli import app
from ecslint.cache.fsio import FileSystem
from ecslint.config import ConfigError, anchor_glob, find_config, load_settings
from ecslint.model import Severity

FIXTURE = Path(__file__).parent / "fixtures" / "config" / "infra"

# What the fixture reports with no configuration: (file, line, code).
DEFAULT = [
    ("infra/cluster.tf", 1, "ECS401"),
    ("infra/ecs.tf", 13, "ECS403"),
    ("infra/ecs.tf", 18, "ECS103"),
    ("infra/ecs.tf", 41, "ECS403"),
    ("infra/ecs.tf", 46, "ECS103"),
]
# ECS201 on the container health checks of api (line 22) and worker (line 50).
ECS201_API = ("infra/ecs.tf", 22, "ECS201")
ECS201_WORKER = ("infra/ecs.tf", 50, "ECS201")


@pytest.fixture()
def project(tmp_path, monkeypatch):
    shutil.copytree(FIXTURE, tmp_path / "infra")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def toml(path: Path, text: str) -> None:
    path.write_text(textwrap.dedent(text), encoding="utf-8")


def invoke(*args: str):
    result = CliRunner().invoke(app, ["check", "--format", "json", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def found(*args: str) -> tuple[int, list[tuple]]:
    result = invoke(*args)
    doc = json.loads(result.stdout)
    return result.exit_code, [(f["file"], f["line"], f["code"]) for f in doc["findings"]]


def error_of(*args: str) -> str:
    """The one stderr line of a run that must fail with a usage/configuration error."""
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    # The JSON document asked for is still written, with the error and no findings.
    doc = json.loads(result.stdout)
    assert (doc["findings"], doc["errors"]) == ([], [lines[0].removeprefix("ecslint: error: ")])
    return lines[0]


# ------------------------------------------------------------------ discovery

def config_found() -> str | None:
    """The configuration file the current directory uses, as shown in messages."""
    found = find_config(os.getcwd(), FileSystem())
    return None if found is None else os.path.relpath(found[0])


def test_no_config_uses_defaults(project):
    assert found("infra") == (1, DEFAULT)
    settings = load_settings(None)
    assert config_found() is None
    assert settings.options == DEFAULT_OPTIONS


def test_pyproject_tool_table(project):
    toml(project / "pyproject.toml", '''
        [project]
        name = "infra"

        [tool.ecslint]
        select = ["ECS1"]
    ''')
    assert found("infra") == (1, [DEFAULT[2], DEFAULT[4]])
    assert config_found() == "pyproject.toml"


def test_dotfile_has_top_level_keys(project):
    toml(project / ".ecslint.toml", 'ignore = ["ECS4"]\n')
    assert found("infra") == (1, [DEFAULT[2], DEFAULT[4]])


def test_dotfile_wins_over_pyproject_in_the_same_directory(project):
    toml(project / ".ecslint.toml", 'select = ["ECS401"]\n')
    toml(project / "pyproject.toml", '[tool.ecslint]\nselect = ["ECS103"]\n')
    assert found("infra") == (1, [DEFAULT[0]])
    assert config_found() == ".ecslint.toml"


def test_walks_up_and_stops_at_the_nearest_config(project, monkeypatch):
    toml(project / ".ecslint.toml", 'select = ["ECS401"]\n')
    toml(project / "infra" / ".ecslint.toml", 'select = ["ECS103"]\n')
    monkeypatch.chdir(project / "infra")
    code, findings = found(".")
    assert findings == [("ecs.tf", 18, "ECS103"), ("ecs.tf", 46, "ECS103")]
    assert config_found() == ".ecslint.toml"
    (project / "infra" / ".ecslint.toml").unlink()
    assert found(".") == (1, [("cluster.tf", 1, "ECS401")])
    assert config_found() == "../.ecslint.toml"


def test_pyproject_without_tool_table_does_not_stop_the_walk(project, monkeypatch):
    toml(project / "pyproject.toml", '[tool.ecslint]\nselect = ["ECS401"]\n')
    # Mentions ecslint but has no [tool.ecslint] table: parsed, then skipped.
    toml(project / "infra" / "pyproject.toml", '[project]\ndependencies = ["ecslint"]\n')
    monkeypatch.chdir(project / "infra")
    assert found(".") == (1, [("cluster.tf", 1, "ECS401")])


def test_unrelated_broken_pyproject_is_never_parsed(project):
    toml(project / "pyproject.toml", "[project\nname = \n")
    assert found("infra") == (1, DEFAULT)


def test_explicit_config_file(project, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("cfg")
    toml(elsewhere / "ci.toml", 'select = ["ECS401"]\n')
    toml(elsewhere / "pyproject.toml", '[tool.ecslint]\nselect = ["ECS103"]\n')
    toml(project / ".ecslint.toml", 'select = ["ECS403"]\n')  # not read with --config
    assert found("infra", "--config", str(elsewhere / "ci.toml")) == (1, [DEFAULT[0]])
    assert found("infra", "--config", str(elsewhere / "pyproject.toml")) == \
        (1, [DEFAULT[2], DEFAULT[4]])


def test_jsonschema_is_imported_only_when_a_config_exists(project):
    probe = ("import sys; from ecslint.config import load_settings; load_settings(None); "
             "print('jsonschema' in sys.modules)")
    run = [sys.executable, "-c", probe]
    assert subprocess.run(run, cwd=project, capture_output=True, text=True,
                          check=True).stdout == "False\n"
    toml(project / ".ecslint.toml", 'select = ["ECS4"]\n')
    assert subprocess.run(run, cwd=project, capture_output=True, text=True,
                          check=True).stdout == "True\n"


# ------------------------------------------------------------------ every key, end to end

def test_select_and_ignore_longest_prefix_wins(project):
    toml(project / ".ecslint.toml", 'select = ["ECS4"]\nignore = ["ECS403"]\n')
    assert found("infra") == (1, [DEFAULT[0]])


def test_command_line_select_replaces_config_select(project):
    toml(project / ".ecslint.toml", 'select = ["ECS4"]\n')
    assert found("infra", "--select", "ECS103") == (1, [DEFAULT[2], DEFAULT[4]])


def test_fail_on(project):
    toml(project / ".ecslint.toml", 'fail-on = "error"\n')
    assert found("infra") == (0, DEFAULT)
    assert found("infra", "--fail-on", "warning") == (1, DEFAULT)


def test_severity_override(project):
    toml(project / ".ecslint.toml", '''
        fail-on = "error"
        [severity]
        ECS401 = "error"
        ECS403 = "info"
    ''')
    result = invoke("infra")
    assert result.exit_code == 1
    severities = {(f["code"], f["severity"]) for f in json.loads(result.stdout)["findings"]}
    assert severities == {("ECS401", "error"), ("ECS403", "info"), ("ECS103", "warning")}


def test_severity_override_lowers_below_fail_on(project):
    toml(project / "pyproject.toml", '''
        [tool.ecslint]
        select = ["ECS401"]
        severity = {ECS401 = "info"}
    ''')
    assert found("infra") == (0, [DEFAULT[0]])


@pytest.mark.parametrize("glob, codes, expected", [
    ("infra/cluster.tf", ["ECS401"], DEFAULT[1:]),
    ("infra/*.tf", ["ECS4"], [DEFAULT[2], DEFAULT[4]]),
    ("**/ecs.tf", ["ECS103"], DEFAULT[:2] + [DEFAULT[3]]),
    ("ecs.tf", ["ECS103", "ECS403"], [DEFAULT[0]]),  # no slash: the file name anywhere
    ("infra/ecs.tf", ["ECS401"], DEFAULT),  # the code is elsewhere
    ("other/cluster.tf", ["ECS401"], DEFAULT),
])
def test_per_file_ignores(project, glob, codes, expected):
    toml(project / ".ecslint.toml",
         f"[per-file-ignores]\n{json.dumps(glob)} = {json.dumps(codes)}\n")
    assert found("infra")[1] == expected


def test_per_file_ignores_are_relative_to_the_config_file(project, monkeypatch):
    toml(project / ".ecslint.toml", '''
        [per-file-ignores]
        "infra/cluster.tf" = ["ECS401"]
        "**/ecs.tf" = ["ECS403"]
    ''')
    monkeypatch.chdir(project / "infra")
    assert found(".") == (1, [("ecs.tf", 18, "ECS103"), ("ecs.tf", 46, "ECS103")])


def test_anchor_glob():
    assert anchor_glob("infra/ecs.tf", "/r", "/r") == ["infra/ecs.tf"]
    assert anchor_glob("./infra/*.tf", "/r", "/r/infra") == ["*.tf"]
    assert anchor_glob("infra/ecs.tf", "/r", "/r/other") == ["../infra/ecs.tf"]
    assert anchor_glob("infra/ecs.tf", "/r/a/b", "/r") == ["a/b/infra/ecs.tf"]
    assert anchor_glob("infra/ecs.tf", "/r", "/x/y/z") == ["/r/infra/ecs.tf"]
    assert anchor_glob("**/ecs.tf", "/r", "/x") == ["**/ecs.tf", "ecs.tf"]
    assert anchor_glob("*.json", "/r", "/x") == ["*.json", "*/*.json"]
    assert anchor_glob("arn:aws:ecs:*:service/prod/*", "/r", "/x") == \
        ["arn:aws:ecs:*:service/prod/*"]


def test_option_unassigned_ratio(project):
    toml(project / ".ecslint.toml", "[options]\nunassigned_ratio = 0.8\n")
    assert found("infra")[1] == [DEFAULT[0], DEFAULT[1], DEFAULT[3]]


def test_option_health_check_cpu_ms(project):
    toml(project / ".ecslint.toml", '[options]\nhealth_check_cpu_ms = 200\n')
    code, findings = found("infra", "--select", "ECS201")
    assert findings == [ECS201_API, ECS201_WORKER]
    result = invoke("infra", "--select", "ECS201")
    messages = [f["message"] for f in json.loads(result.stdout)["findings"]]
    assert "expected latency 8.0 s of a 200 ms request at 0.25 vCPU and 90% utilization" \
        in messages[0]


def test_option_peak_utilization(project):
    toml(project / ".ecslint.toml", '[options]\npeak_utilization = 0.975\n')
    assert found("infra", "--select", "ECS201") == (1, [ECS201_API, ECS201_WORKER])


def test_option_stats_sidecar_images(project):
    toml(project / ".ecslint.toml", '[options]\nstats_sidecar_images = ["example/stats-*"]\n')
    assert found("infra")[1] == [DEFAULT[0], DEFAULT[2], DEFAULT[4]]


def test_per_service_overrides(project):
    toml(project / "pyproject.toml", '''
        [tool.ecslint]
        select = ["ECS103", "ECS201"]

        [tool.ecslint.services."api"]
        health_check_cpu_ms = 200

        [tool.ecslint.services.worker]
        unassigned_ratio = 0.8
    ''')
    assert found("infra") == (1, [DEFAULT[2], ECS201_API])


def test_live_options_reach_the_rules(project):
    toml(project / ".ecslint.toml", '''
        [options]
        cpu_saturation = 75
        memory_near_limit = 80.5
        [services.api]
        cpu_saturation = 60
    ''')
    options = load_settings(None).rule_options()
    assert options.get("cpu_saturation", "web") == 75
    assert options.get("cpu_saturation", "api") == 60
    assert options.get("memory_near_limit", "api") == 80.5
    assert options.get("peak_utilization", "api") == 0.9


def test_settings_object(project):
    toml(project / ".ecslint.toml", '''
        select = ["ECS1", "ECS401"]
        ignore = ["ECS105"]
        fail-on = "info"
        severity = {ECS402 = "warning"}
        per-file-ignores = {"tasks/*.json" = ["ECS403"]}
        options = {peak_utilization = 0.8}
        services = {api = {health_check_cpu_ms = 20}}
    ''')
    s = load_settings(None)
    assert (s.select, s.ignore, s.fail_on) == (["ECS1", "ECS401"], ["ECS105"], Severity.INFO)
    assert s.severity == {"ECS402": Severity.WARNING}
    assert s.per_file_ignores == {"tasks/*.json": ["ECS403"]}
    assert s.options == {**DEFAULT_OPTIONS, "peak_utilization": 0.8}
    assert s.services == {"api": {"health_check_cpu_ms": 20}}


# ------------------------------------------------------------------ errors: one line, exit 2

TOP_KEYS = "fail-on, ignore, options, per-file-ignores, select, services, severity"
# The message lists the schema's option keys, sorted.
OPTION_KEYS = ", ".join(sorted(json.loads(
    (Path(__file__).resolve().parent.parent / "rules" / "config-schema.json").read_text()
)["$defs"]["options"]["properties"]))


@pytest.mark.parametrize("body, message", [
    ('selct = ["ECS1"]', f".ecslint.toml: selct: unknown key (expected one of: {TOP_KEYS})"),
    ('select = "ECS1"', '.ecslint.toml: select: expected an array, got a string ("ECS1")'),
    ('select = ["ecs1"]',
     '.ecslint.toml: select[0]: "ecs1" is not a rule code or prefix like ECS1 or ECS103'),
    ('select = ["ECS5"]', ".ecslint.toml: select[0]: unknown rule code or prefix ECS5"),
    ('ignore = ["ECS1", "ECS9999"]',
     '.ecslint.toml: ignore[1]: "ECS9999" is not a rule code or prefix like ECS1 or ECS103'),
    ('ignore = ["ECS103", "ECS109"]',
     ".ecslint.toml: ignore[1]: unknown rule code or prefix ECS109"),
    ('fail-on = "fatal"', '.ecslint.toml: fail-on: expected one of "error", "warning", "info", '
                          'got a string ("fatal")'),
    ('fail-on = 1', '.ecslint.toml: fail-on: expected a string, got a number (1)'),
    ('severity = {ECS1 = "info"}', ".ecslint.toml: severity.ECS1: not a rule code like ECS103"),
    ('severity = {ECS199 = "info"}', ".ecslint.toml: severity.ECS199: unknown rule code ECS199"),
    ('severity = {ECS103 = "high"}', '.ecslint.toml: severity.ECS103: expected one of "error", '
                                     '"warning", "info", got a string ("high")'),
    ('per-file-ignores = {"infra/*.tf" = "ECS1"}',
     '.ecslint.toml: per-file-ignores."infra/*.tf": expected an array, got a string ("ECS1")'),
    ('per-file-ignores = {"a.tf" = ["ECS7"]}',
     '.ecslint.toml: per-file-ignores."a.tf"[0]: unknown rule code or prefix ECS7'),
    ('options = {peak_utilisation = 0.5}',
     f".ecslint.toml: options.peak_utilisation: unknown key (expected one of: {OPTION_KEYS})"),
    ('options = {peak_utilization = 1}',
     ".ecslint.toml: options.peak_utilization: 1 is greater than or equal to the maximum of 1"),
    ('options = {health_check_cpu_ms = "50"}',
     '.ecslint.toml: options.health_check_cpu_ms: expected a number, got a string ("50")'),
    ('options = {health_check_cpu_ms = true}',
     ".ecslint.toml: options.health_check_cpu_ms: expected a number, got a boolean (true)"),
    ('options = {stats_sidecar_images = "exporter*"}',
     '.ecslint.toml: options.stats_sidecar_images: expected an array, got a string ("exporter*")'),
    ('services = {"my.api" = {cpu_saturation = 101}}',
     '.ecslint.toml: services."my.api".cpu_saturation: 101 is greater than the maximum of 100'),
    ('services = {api = {foo = 1}}',
     f".ecslint.toml: services.api.foo: unknown key (expected one of: {OPTION_KEYS})"),
    ('services = ["api"]', '.ecslint.toml: services: expected a table, got an array (["api"])'),
    ('[tool.ecslint]\nselect = ["ECS1"]',
     f".ecslint.toml: tool: unknown key (expected one of: {TOP_KEYS}); in .ecslint.toml write "
     "the keys at the top level, without [tool.ecslint]"),
    ("select = ]", ".ecslint.toml: invalid TOML: Invalid value (at line 1, column 10)"),
])
def test_dotfile_errors(project, body, message):
    toml(project / ".ecslint.toml", body + "\n")
    assert error_of("infra") == f"ecslint: error: {message}"


def test_pyproject_errors_name_the_full_key(project):
    toml(project / "pyproject.toml", '[tool.ecslint.options]\nunassigned_ratio = 0\n')
    assert error_of("infra") == ("ecslint: error: pyproject.toml: tool.ecslint.options."
                                 "unassigned_ratio: 0 is less than or equal to the minimum of 0")
    toml(project / "pyproject.toml", '[tool]\necslint = ["ECS1"]\n')
    assert error_of("infra") == ('ecslint: error: pyproject.toml: tool.ecslint: expected a '
                                 'table, got an array (["ECS1"])')


def test_errors_in_a_parent_directory_name_its_path(project, monkeypatch):
    toml(project / "pyproject.toml", '[tool.ecslint]\nfail_on = "error"\n')
    monkeypatch.chdir(project / "infra")
    assert error_of(".") == ("ecslint: error: ../pyproject.toml: tool.ecslint.fail_on: unknown "
                             f"key (expected one of: {TOP_KEYS})")


def test_explicit_config_errors(project):
    assert error_of("infra", "--config", "nope.toml") == \
        "ecslint: error: nope.toml: no such configuration file"
    assert error_of("infra", "--config", "infra") == \
        "ecslint: error: infra: is a directory, not a configuration file"
    toml(project / "pyproject.toml", '[project]\nname = "x"\n')
    assert error_of("infra", "--config", "pyproject.toml") == \
        "ecslint: error: pyproject.toml: no [tool.ecslint] table"


def test_errors_through_the_real_command(project):
    toml(project / ".ecslint.toml", 'select = ["ECS1"]\nstrict = true\n')
    proc = subprocess.run([sys.executable, "-m", "ecslint", "check", "infra"], cwd=project,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr == ("ecslint: error: .ecslint.toml: strict: unknown key "
                           f"(expected one of: {TOP_KEYS})\n")


def test_load_settings_raises_config_error(project):
    toml(project / ".ecslint.toml", 'fail-on = "never"\n')
    with pytest.raises(ConfigError, match=r'^\.ecslint\.toml: fail-on: expected one of'):
        load_settings(None)


# ------------------------------------------------------------------ the schema itself

def test_schema_is_valid_and_matches_the_code():
    import jsonschema

    schema = resources.load_json("config-schema.json")
    jsonschema.Draft202012Validator.check_schema(schema)
    assert set(schema["$defs"]["options"]["properties"]) == \
        set(DEFAULT_OPTIONS) | set(UNSET_OPTIONS)
    assert set(schema["properties"]) == set(TOP_KEYS.split(", "))
    validator = jsonschema.Draft202012Validator(schema)
    assert validator.is_valid({"options": dict(DEFAULT_OPTIONS)})
