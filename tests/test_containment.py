"""Containment: whatever goes wrong inside one input (a bug of ours, a budget crossed, a
process lost) is an ECS001 for that input, and every other input is still checked."""

from __future__ import annotations

import os
import time

import pytest

from ecslint import check
from ecslint.cache import fsio
from ecslint.cache.fsio import FileSystem
from ecslint.sources.hcl import functions
from ecslint.sources.hcl.module import ModuleInstance
from ecslint.settings import Settings
from helpers import codes, lint, write
from test_bad_input import GOOD_MODULE, ecs001, run_cli

REPORT = "(a bug in ecslint 0.1.0; please report it at https://github.com/ecslint/ecslint/" \
         "issues with this input or a reduced copy; ECSLINT_DEBUG=1 shows the traceback)"


def two_modules(tmp_path, bad: dict[str, str]):
    write(tmp_path / "good", GOOD_MODULE)
    write(tmp_path / "bad", bad)
    return tmp_path


def good_kept(report) -> bool:
    """The good module's finding is still reported."""
    return ["good", "main.tf"] in [f.file.split(os.sep)[-2:] for f in report.findings
                                   if f.code == "ECS401"]


# ------------------------------------------------------------------ files read by functions

TASK = '''
    resource "aws_ecs_task_definition" "t" {{
      family                = "t"
      container_definitions = {defs}
    }}
'''


@pytest.mark.parametrize("make, message", [
    (lambda p: os.mkfifo(p), "not a regular file (a named pipe)"),
    (lambda p: os.symlink("/dev/zero", p), "not a regular file (a character device)"),
    (lambda p: open(p, "wb").truncate(1 << 30), "the file is 1 GiB, more than the limit of "
                                                  "10 MiB (ECSLINT_MAX_FILE_SIZE)"),
])
def test_files_read_by_functions_are_bounded_too(tmp_path, make, message):
    write(tmp_path / "good", GOOD_MODULE)
    write(tmp_path / "bad", {"main.tf": TASK.format(
        defs='templatefile("${path.module}/t.tpl", {})'), "other.tf": TASK.format(
        defs='file("${path.module}/t.tpl")').replace('"t"', '"u"')})
    make(tmp_path / "bad" / "t.tpl")
    report = lint([tmp_path])
    assert ecs001(report) == {
        "t.tpl": f"cannot read file (read by file() or templatefile()): {message}"}
    assert "ECS401" in codes(report)


def test_a_missing_file_under_try_is_not_an_error(tmp_path):
    write(tmp_path, {**GOOD_MODULE, "td.tf": TASK.format(
        defs='try(file("${path.module}/missing.json"), "[]")')})
    assert not ecs001(lint([tmp_path]))



def test_an_unreadable_template_is_reported(tmp_path, monkeypatch):
    two_modules(tmp_path, {"main.tf": TASK.format(
        defs='templatefile("${path.module}/t.tpl", {})'), "t.tpl": "[]"})
    real = fsio.read_file

    def read_file(path, cap):  # as a non-root user meets a template without permission
        if path.endswith("t.tpl"):
            raise PermissionError(13, "Permission denied", path)
        return real(path, cap)

    monkeypatch.setattr(fsio, "read_file", read_file)
    report = lint([tmp_path])
    assert ecs001(report) == {
        "t.tpl": "cannot read file (read by file() or templatefile()): Permission denied"}
    assert good_kept(report)


# ------------------------------------------------------------------ internal errors

def test_a_crash_while_evaluating_a_root_is_ecs001_at_the_expression(tmp_path, monkeypatch):
    def boom(text):
        raise RuntimeError("boom")

    monkeypatch.setitem(functions.FUNCTIONS, "upper", functions.Function(boom))
    two_modules(tmp_path, {"main.tf": '''
        resource "aws_ecs_cluster" "x" {
          name = upper("a")
        }
    '''})
    report = lint([tmp_path])
    (err,) = [f for f in report.findings if f.code == "ECS001"]
    assert (err.file.split(os.sep)[-2:], err.line, err.column) == (["bad", "main.tf"], 3, 10)
    assert err.message == f"this module could not be checked: internal error: RuntimeError: " \
                          f"boom {REPORT}"
    assert good_kept(report)


def test_a_crash_outside_any_expression_is_ecs001_at_the_roots_first_file(tmp_path,
                                                                          monkeypatch):
    real = ModuleInstance.records

    def records(self, types):
        if self.files.dir.endswith("bad"):
            raise KeyError("x")
        return real(self, types)

    monkeypatch.setattr(ModuleInstance, "records", records)
    two_modules(tmp_path, {"b.tf": GOOD_MODULE["main.tf"], "a.tf": "locals {}\n"})
    report = lint([tmp_path])
    assert ecs001(report) == {"a.tf": f"this module could not be checked: internal error: "
                                      f"KeyError: 'x' {REPORT}"}
    assert good_kept(report)


def test_a_crash_in_the_pre_scan_leaves_the_directory_to_the_reader(tmp_path, monkeypatch):
    from ecslint.sources.terraform import PreScan

    real = PreScan._scan

    def scan(self, directory, out):
        if directory.endswith("bad"):
            raise IndexError("scan")
        return real(self, directory, out)

    monkeypatch.setattr(PreScan, "_scan", scan)
    two_modules(tmp_path, {"main.tf": GOOD_MODULE["main.tf"]})
    report = lint([tmp_path])
    assert not ecs001(report)
    assert sorted(f.file.split(os.sep)[-2] for f in report.findings) == ["bad", "good"]


def test_a_crash_in_a_rule_is_ecs001_and_the_other_rules_run(tmp_path):
    from ecslint.checks import RULES_BY_CODE

    rule = RULES_BY_CODE["ECS302"]

    def crash(model, options):
        yield from ()
        raise TypeError("bad operand")

    original = rule.check
    object.__setattr__(rule, "check", crash)  # a frozen dataclass
    try:
        write(tmp_path, GOOD_MODULE)
        report = lint([tmp_path])
    finally:
        object.__setattr__(rule, "check", original)
    assert ecs001(report) == {"main.tf": f"rule ECS302 (service-autoscaling-missing) on this "
                                         f"input could not be checked: internal error: "
                                         f"TypeError: bad operand {REPORT}"}
    assert "ECS401" in codes(report)


def test_a_crash_in_a_json_input_is_ecs001_for_that_file(tmp_path, monkeypatch):
    from ecslint.sources import taskdef

    def crash(*args):
        raise AttributeError("nope")

    monkeypatch.setattr(taskdef, "task_definition_from_json", crash)
    write(tmp_path / "good", GOOD_MODULE)
    (tmp_path / "td.json").write_text('{"containerDefinitions": [{"name": "a", "image": "b"}]}')
    report = lint([tmp_path])
    assert ecs001(report) == {"td.json": f"this file could not be checked: internal error: "
                                         f"AttributeError: nope {REPORT}"}
    assert good_kept(report)


def test_a_contained_crash_exits_2_with_the_other_findings(tmp_path):
    two_modules(tmp_path, {"main.tf": '''
        resource "aws_ecs_cluster" "x" {
          name = "%{ for x in [1] }a"
        }
    '''})  # an evaluator bug today; whatever it becomes, never a traceback and exit 1
    proc = run_cli(".", cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "good/main.tf:2:1: ECS401" in proc.stdout


# ------------------------------------------------------------------ budgets and the watchdog

@pytest.mark.parametrize("count, message", [
    ("1e400", "count: about 10^400 elements, more than the limit of 10,000"),
    ("100000000", "count: 100,000,000 elements, more than the limit of 10,000"),
])
def test_a_count_past_the_limit_is_unknown_with_a_note(tmp_path, count, message):
    two_modules(tmp_path, {"main.tf": f'''
        resource "aws_ecs_cluster" "x" {{
          count = {count}
          name  = "a"
        }}
    '''})
    report = lint([tmp_path])
    (err,) = [f for f in report.findings if f.code == "ECS001"]
    assert (err.line, err.column) == (3, 3)
    assert err.message == f"{message} (ECSLINT_MAX_COLLECTION); treated as unknown, so what " \
                          "depends on it is not checked"
    assert good_kept(report)


def test_a_for_each_past_the_limit_is_unknown_with_a_note(tmp_path, monkeypatch):
    monkeypatch.setenv("ECSLINT_MAX_COLLECTION", "3")
    two_modules(tmp_path, {"main.tf": '''
        resource "aws_ecs_cluster" "x" {
          for_each = toset(["a", "b", "c", "d"])
          name     = each.key
        }
        resource "aws_ecs_cluster" "y" {
          for_each = toset(["a", "b", "c"])
          name     = each.key
        }
    '''})
    report = lint([tmp_path])
    assert ecs001(report) == {"main.tf": "for_each: 4 elements, more than the limit of 3 "
                                         "(ECSLINT_MAX_COLLECTION); treated as unknown, so "
                                         "what depends on it is not checked"}
    # x is checked once, with unknowns; y once per key.
    assert sorted(f.resource for f in report.findings if f.code == "ECS401") == [
        "aws_ecs_cluster.c", "aws_ecs_cluster.x", 'aws_ecs_cluster.y["a"]',
        'aws_ecs_cluster.y["b"]', 'aws_ecs_cluster.y["c"]']


def slow_records(seconds: float | None = None, grow: bool = False):
    real = ModuleInstance.records

    def records(self, types):
        if self.files.dir.endswith("bad"):
            held, start = [], time.monotonic()
            while seconds is None or time.monotonic() - start < seconds:
                if grow:
                    held.append(bytearray(2 << 20))
                    time.sleep(0.01)
        return real(self, types)

    return records


def test_a_root_past_its_time_is_ecs001_and_never_replayed(tmp_path, monkeypatch):
    monkeypatch.setenv("ECSLINT_ROOT_TIMEOUT", "0.5")
    monkeypatch.setattr(ModuleInstance, "records", slow_records())
    two_modules(tmp_path, {"main.tf": GOOD_MODULE["main.tf"]})
    fs = FileSystem(recording=True)
    start = time.monotonic()
    report = check.run([str(tmp_path)], Settings(), fs=fs)
    assert time.monotonic() - start < 10
    assert ecs001(report) == {"main.tf": "evaluating this module took longer than 0.5 s "
                                         "(ECSLINT_ROOT_TIMEOUT): it was not checked"}
    assert good_kept(report)
    assert [k for k in fs.observations() if k[0] == "volatile"] == [
        ("volatile", str(tmp_path / "bad"))]


def test_a_root_past_its_memory_is_ecs001(tmp_path, monkeypatch):
    monkeypatch.setenv("ECSLINT_ROOT_MEMORY", "40MiB")
    monkeypatch.setattr(ModuleInstance, "records", slow_records(grow=True))
    two_modules(tmp_path, {"main.tf": GOOD_MODULE["main.tf"]})
    report = lint([tmp_path])
    assert ecs001(report) == {"main.tf": "evaluating this module needed more than 40 MiB of "
                                         "memory (ECSLINT_ROOT_MEMORY): it was not checked"}
    assert good_kept(report)


def test_the_watchdog_leaves_the_signal_handler_and_timer_as_they_were(tmp_path):
    import signal

    before = signal.getsignal(signal.SIGALRM)
    write(tmp_path, GOOD_MODULE)
    lint([tmp_path])
    assert signal.getsignal(signal.SIGALRM) is before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    fired: list[int] = []
    signal.signal(signal.SIGALRM, lambda *_: fired.append(1))
    try:
        signal.setitimer(signal.ITIMER_REAL, 30)  # someone else's timer, kept
        lint([tmp_path])
        assert 0 < signal.getitimer(signal.ITIMER_REAL)[0] < 30 and not fired
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, before)


def test_the_budget_api_the_evaluator_calls():
    from ecslint.limits import Budget, Limits
    from ecslint.model import Location

    budget = Budget(Limits(max_collection=5, max_string=10, max_steps=8))
    at = Location("main.tf", 3, 7)
    assert budget.collection(5, at, "range()") and budget.string(10, at, "join()")
    assert not budget.collection(6, at, "range()")
    assert not budget.collection(float("nan"), at, "count")
    assert not budget.string(11, at, "join()")
    assert budget.steps(8, at, "for expression") and not budget.steps(1, at, "for expression")
    assert not budget.steps(1, at, "for expression")  # still spent, noted once
    assert not budget.collection(6, None, "range()")  # nowhere to say it: no note
    tail = "; treated as unknown, so what depends on it is not checked"
    assert [(p.file, p.line, p.column, p.message) for p in budget.notes] == [
        ("main.tf", 3, 7, m + tail) for m in (
            "range(): 6 elements, more than the limit of 5 (ECSLINT_MAX_COLLECTION)",
            "count: not a number",
            "join(): 11 characters, more than the limit of 10 bytes (ECSLINT_MAX_STRING)",
            "for expression: evaluating this module took more than 8 steps "
            "(ECSLINT_MAX_STEPS)")]
