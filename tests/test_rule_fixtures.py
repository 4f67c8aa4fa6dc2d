"""Per-rule fixtures: every bad case matches its reviewed snapshot, every good case is silent.

Layout (semgrep-style, one directory per rule code):

    tests/fixtures/rules/ECS101/
        bad/main.tf          a Terraform module that fires the rule   -> bad.expected
        good/main.tf         near misses that must not fire it
        bad.json, good.json  task-definition JSON (rules that apply to it) -> bad.json.expected

Extra cases are further `bad-*/`, `good-*/` directories or `bad-*.json`, `good-*.json` files.
A snapshot holds the concise lines of `ecslint check --select CODE <case>` run from the
repository root, without the summary line, paths relative to the root. Regenerate with
`ECSLINT_UPDATE_SNAPSHOTS=1 pytest tests/test_rule_fixtures.py`, then review every line
against the spec: a snapshot is a claim that the output is right, not a recording.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import codes, lint

from ecslint.checks import ALL_RULES
from ecslint.cli import app
from ecslint.sources import taskdef

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "rules"
UPDATE = os.environ.get("ECSLINT_UPDATE_SNAPSHOTS") == "1"

# Engine codes with their own fixtures (malformed input, unused suppression).
ENGINE_CODES = ("ECS001", "ECS002")
STATIC_CODES = tuple(r.code for r in ALL_RULES if not r.live_only and r.code not in ENGINE_CODES)
# Rules that also apply to task-definition JSON: they must have bad.json / good.json.
JSON_CODES = ("ECS001", "ECS101", "ECS102", "ECS103", "ECS104", "ECS105", "ECS201", "ECS202",
              "ECS204", "ECS403", "ECS404")


@pytest.fixture(autouse=True)
def _private_parse_cache(tmp_path_factory, monkeypatch):
    """In-process runs use the parse cache by default: keep it out of the user's home."""
    monkeypatch.setenv("ECSLINT_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))


def _is_case(path: Path, kind: str) -> bool:
    name = path.name
    if path.is_dir():
        return name == kind or name.startswith(kind + "-")
    return name.endswith(".json") and (name == f"{kind}.json" or name.startswith(kind + "-"))


def _cases(kind: str) -> list[Path]:
    if not FIXTURES.is_dir():
        return []
    return sorted(case for rule in sorted(FIXTURES.iterdir()) if rule.is_dir()
                  for case in sorted(rule.iterdir()) if _is_case(case, kind))


def _id(case: Path) -> str:
    return f"{case.parent.name}/{case.name}"


def _snapshot(case: Path) -> Path:
    return case.parent / f"{case.name}.expected"


def _rel(case: Path) -> str:
    return case.relative_to(REPO).as_posix()


def concise(code: str, case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Lines of `ecslint check --select CODE case` from the repository root, no summary."""
    # An empty explicit configuration: a [tool.ecslint] table added to the repository's
    # pyproject.toml must not change the snapshots.
    config = tmp_path / ".ecslint.toml"
    config.write_text("")
    monkeypatch.chdir(REPO)
    result = CliRunner().invoke(app, ["check", "--select", code, "--format", "concise",
                                      "--no-color", "--no-cache", "--config", str(config),
                                      _rel(case)])
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        f"ecslint crashed: {result.exception!r}\n{result.output}"
    assert result.exit_code in (0, 1, 2), result.output
    lines = result.stdout.splitlines()
    assert lines and (lines[-1].startswith("Found ") or lines[-1] == "No findings."), lines
    return lines[:-1]


def all_rule_codes(case: Path) -> list[str]:
    """Codes reported for a case with every rule enabled (default settings)."""
    return codes(lint([_rel(case)], cwd=REPO))


# ------------------------------------------------------------------ bad: snapshots

@pytest.mark.parametrize("case", _cases("bad"), ids=_id)
def test_bad_case_matches_its_snapshot(case: Path, tmp_path, monkeypatch):
    code = case.parent.name
    lines = concise(code, case, tmp_path, monkeypatch)
    snapshot = _snapshot(case)
    if UPDATE:
        snapshot.write_text("".join(line + "\n" for line in lines))
    assert snapshot.is_file(), f"no snapshot {snapshot.relative_to(REPO)}: run with " \
                               "ECSLINT_UPDATE_SNAPSHOTS=1 and review it"
    expected = snapshot.read_text().splitlines()
    assert lines == expected
    assert lines, f"{_id(case)} does not fire {code}"
    assert all(f": {code} " in line for line in lines), lines
    assert all(line.startswith(_rel(case)) for line in lines), \
        "findings must point into the case itself"


# ------------------------------------------------------------------ good: silent for its rule

@pytest.mark.parametrize("case", _cases("good"), ids=_id)
def test_good_case_does_not_fire_its_rule(case: Path):
    code = case.parent.name
    assert code not in all_rule_codes(case)


# ------------------------------------------------------------------ coverage of the catalog

def test_every_static_rule_has_bad_and_good_fixtures():
    missing = []
    for code in (*ENGINE_CODES, *STATIC_CODES):
        rule_dir = FIXTURES / code
        for need in ("bad", "good", "bad.expected"):
            if not (rule_dir / need).exists():
                missing.append(f"{code}/{need}")
        if code in JSON_CODES:
            for need in ("bad.json", "good.json", "bad.json.expected"):
                if not (rule_dir / need).exists():
                    missing.append(f"{code}/{need}")
    assert not missing, f"rules without fixtures: {missing}"


def test_no_stray_fixtures_or_snapshots():
    known = {r.code for r in ALL_RULES}
    stray = [p.name for p in FIXTURES.iterdir() if p.is_dir() and p.name not in known]
    assert not stray, f"fixture directories for unknown codes: {stray}"
    for snapshot in FIXTURES.glob("*/*.expected"):
        case = snapshot.with_name(snapshot.name[: -len(".expected")])
        assert case.exists() and _is_case(case, "bad"), \
            f"snapshot without a bad case: {snapshot.relative_to(REPO)}"
    for rule_dir in FIXTURES.iterdir():
        for entry in rule_dir.iterdir() if rule_dir.is_dir() else ():
            ok = _is_case(entry, "bad") or _is_case(entry, "good") or \
                entry.name.endswith(".expected")
            assert ok, f"unexpected fixture entry {entry.relative_to(REPO)}"


def test_json_fixtures_cover_all_three_task_definition_forms():
    import json

    forms = set()
    for case in _cases("bad") + _cases("good"):
        if case.is_file() and case.parent.name != "ECS001":
            forms.add(taskdef.classify(json.loads(case.read_text())))
    assert forms == {"register", "describe", "containers"}


# ------------------------------------------------------------------ engine rules

def test_parse_error_does_not_stop_the_other_files_of_the_module():
    report = lint(["tests/fixtures/rules/ECS001/bad"], cwd=REPO)
    found = {(f.code, Path(f.file).name) for f in report.findings}
    assert ("ECS001", "main.tf") in found
    assert ("ECS401", "cluster.tf") in found


def test_used_suppressions_are_not_unused_when_only_ecs002_is_selected(tmp_path, monkeypatch):
    """`--select ECS002` audits suppressions: one that hides a real finding is not stale."""
    assert concise("ECS002", FIXTURES / "ECS002" / "good", tmp_path, monkeypatch) == []


def test_snapshot_matches_the_real_command_line():
    """The in-process runner and the installed entry point print the same lines."""
    case = FIXTURES / "ECS104" / "bad"
    proc = subprocess.run([sys.executable, "-m", "ecslint", "check", "--select", "ECS104",
                           "--no-color", _rel(case)], cwd=REPO, capture_output=True,
                          text=True, timeout=120, check=False,
                          env={**os.environ, "NO_COLOR": "1", "ECSLINT_NO_CACHE": "1"})
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.splitlines()[:-1] == _snapshot(case).read_text().splitlines()
